"""The device: the Emulator assembled from its features, its state store, resource addressing, behaviour
kinds, device data, the feature mechanism and device-level events."""
