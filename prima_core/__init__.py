"""Prima core: study import, the Prima model, its pipeline and explanations.

Nothing in this package imports Qt or VTK; every feature is callable from scripts and the CLI.
"""

__version__ = "0.1.0"

RESEARCH_CAVEAT = "Research use, not for clinical decisions."
DEMO_CAVEAT = "Demo model trained on synthetic phantoms: not Prima's clinical weights, not diagnostic."
