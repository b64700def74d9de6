"""Start Prima Viewer: python main.py [STUDY] [--demo] [--analyze] [--select NAME] [--method M] [--screenshot PNG]."""

from app.main import main

if __name__ == "__main__":
    raise SystemExit(main())
