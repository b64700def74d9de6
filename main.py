"""Start Prima Viewer: ``python main.py [STUDY] [--demo] [--screenshot PNG] ...`` (``--help`` lists all)."""

from app.main import main

if __name__ == "__main__":
    raise SystemExit(main())
