"""Synthetic phantom studies with known findings, and the demo model's training recipe."""

from prima_core.demo.findings import finding_names
from prima_core.demo.showcase import ensure_demo_study
from prima_core.demo.study import DemoGroundTruth, DemoStudySpec, generate_demo_study

__all__ = ["DemoGroundTruth", "DemoStudySpec", "ensure_demo_study", "finding_names", "generate_demo_study"]
