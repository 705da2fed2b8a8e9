"""Host-process stand-ins for the controllers a kwok cluster cannot run (see README.md)."""
