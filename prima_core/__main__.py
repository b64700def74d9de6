from prima_core.cli import main

raise SystemExit(main())
