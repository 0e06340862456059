"""A fleet: many devices in one process, its command line, its fleet file and generated identities."""
