"""Rebuild the demo phantom's template maps in resources/demo/ from nilearn's MNI152 2009 copies.

Run from the repository root with the development environment (nilearn installed):

    .venv/bin/python scripts/rebuild_demo_template.py

The licence notice that must travel with the maps is resources/demo/MNI152_NOTICE.txt.
"""

from prima_core.demo.phantom_template import rebuild_template_files

if __name__ == "__main__":
    for path in rebuild_template_files():
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
