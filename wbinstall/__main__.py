from wbinstall.cli import main

raise SystemExit(main())
