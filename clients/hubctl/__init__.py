"""hubctl: the Hub operator's command line (invite, list, show, suspend, reinstate parties). See `hubctl.cli`."""
