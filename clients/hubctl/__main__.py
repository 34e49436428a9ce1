from hubctl.cli import main

raise SystemExit(main())
