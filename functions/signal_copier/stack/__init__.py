"""Running the cloud stack on this machine: Google's emulators and the servers in front of them."""
