"""BACnet points: the object database of a device, BACnet's rules over it, and its REST resources.

Pure data and rules (standard library only): `datatypes` and `objects` describe what exists, `priority` the
command prioritization, `texts` and `encoding` the two forms a value takes on the wire, `models` a device's
state, `pointfile`/`ede` the point lists a user gives, `hooks` the REST behaviour.
"""
