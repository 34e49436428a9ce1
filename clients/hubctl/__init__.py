"""hubctl: the Hub operator's command line (parties, locations, tariffs, deliveries). See `hubctl.cli`."""
