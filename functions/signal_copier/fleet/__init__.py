"""The listener fleet's adapters: the FleetScaler port (Cloud Run, local) and the simulation."""
