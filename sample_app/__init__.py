"""Demo partner app ("Acme Bank"), the local Wise emulator and the demo launcher."""
