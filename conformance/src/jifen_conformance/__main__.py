from jifen_conformance.cli import main

raise SystemExit(main())
