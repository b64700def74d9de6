"""What an exported report and results file say, in which order, with which caveats.

The PDF painter in ``app/`` only lays this content out; the wording, the ranking, how many
diagnoses are listed and the caveats are decided here, so they can be tested without a window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from prima_core import __version__
from prima_core.analysis.differential import Differential, RankedLabel, device_label, format_margin
from prima_core.analysis.methods import METHOD_CHOICES
from prima_core.io.study import Study

RESULTS_FORMAT = "prima-viewer-results-1"
REPORT_TOP = 15
MARGINS_NOTE = (
    "Margins, not probabilities: the zero line is each diagnosis' threshold at the Prima authors' "
    "operating point; > 0 is positive."
)


@dataclass
class ReportContent:
    """One page of report, in reading order."""

    title: str
    patient: list[tuple[str, str]]
    study: list[tuple[str, str]]
    caveats: list[str]
    priority: str
    positives_line: str
    differential: list[RankedLabel]
    differential_note: str
    referrals_line: str
    explanation_lines: list[str]
    model_line: str
    margins_note: str = MARGINS_NOTE
    generated: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _pairs(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(label, value) for label, value in items if value]


def dicom_date(value: str) -> str:
    """``20260101`` -> ``2026-01-01``; anything else as it is."""
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 and value.isdigit() else value


def dicom_age(value: str) -> str:
    """``054Y`` -> ``54 Y`` (DICOM ages are zero-padded with a unit letter)."""
    if len(value) == 4 and value[:3].isdigit() and value[3] in "DWMY":
        return f"{int(value[:3])} {value[3]}"
    return value


def study_facts(study: Study) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(patient, study) label/value pairs for a header, empty values left out."""
    patient = _pairs(
        [
            ("Patient", study.patient_name.replace("^", " ").strip()),
            ("ID", study.patient_id),
            ("Sex", study.patient_sex),
            ("Age", dicom_age(study.patient_age)),
        ]
    )
    facts = _pairs(
        [
            ("Study", study.description),
            ("Date", dicom_date(study.study_date)),
            ("Accession", study.accession_number),
            ("Series", str(len(study.series))),
        ]
    )
    return patient, facts


def method_label(method: str) -> str:
    return next((c.label for c in METHOD_CHOICES if c.value == method), method)


def explanation_lines(
    summary: dict[str, Any] | None, differential: Differential, series_labels: dict[str, str] | None = None
) -> list[str]:
    """A sentence or two about the heat map shown in the key images, and its top region."""
    if not summary:
        return ["No heat map shown."]
    target = summary.get("target", {}).get("name", "")
    try:
        shown = differential.find(target).display_name
    except Exception:  # noqa: BLE001 - a referral or priority target keeps its model name
        shown = target
    lines = [f"Heat map: {method_label(str(summary.get('method', '')))} for {shown} (positive evidence)."]
    if summary.get("target_agnostic"):
        lines.append("This method shows where the model reads from; it is the same for every diagnosis.")
    regions = summary.get("regions") or []
    if regions:
        top = regions[0]
        x, y, z = top["center_lps"]
        series = (series_labels or {}).get(top["series"], top["series"])
        lines.append(
            f"Top region: {series} at {'L' if x >= 0 else 'R'} {abs(x):.0f}, "
            f"{'P' if y >= 0 else 'A'} {abs(y):.0f}, {'S' if z >= 0 else 'I'} {abs(z):.0f} mm."
        )
    return lines


def model_line(differential: Differential) -> str:
    model = differential.model
    kind = {"demo": "demo model (synthetic phantoms)", "official": "official Prima weights"}.get(
        str(model.get("kind")), str(model.get("kind", ""))
    )
    parts = [f"Model: {model.get('name', '?')}", kind]
    if model.get("format_version") is not None:
        parts.append(f"bundle format {model['format_version']}")
    if differential.device:
        parts.append(f"run on {device_label(differential.device)}")
    return " \u00b7 ".join(p for p in parts if p)


def report_content(
    differential: Differential,
    *,
    study: Study,
    explanation: dict[str, Any] | None = None,
    series_labels: dict[str, str] | None = None,
    top: int = REPORT_TOP,
    generated: dt.datetime | None = None,
) -> ReportContent:
    """The report of one analysed study: header, caveats, priority, top diagnoses, referral,
    the heat map shown, the model and when it was made. ``series_labels``: how the viewer names
    the series of the explanation (model series name -> label)."""
    patient, facts = study_facts(study)
    total = len(differential.diagnoses)
    positives = differential.positives
    if len(positives) > top:  # a positive is never left off the page
        shown, note = positives, f"All {len(positives)} positive diagnoses of {total}, by margin."
    else:
        shown = differential.diagnoses[:top]
        note = f"Top {len(shown)} of {total} diagnoses by margin; {len(positives)} positive."
    referrals = differential.positive_referrals
    referral_text = (
        "Referral: " + "; ".join(f"{r.display_name} ({format_margin(r.margin)})" for r in referrals)
        if referrals
        else "Referral: none above its threshold."
    )
    when = (generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    return ReportContent(
        title="Prima Viewer \u2014 analysis report",
        patient=patient,
        study=facts,
        caveats=differential.caveats,
        priority=differential.priority_display,
        positives_line="\u25cf positive: margin > 0.",
        differential=shown,
        differential_note=note,
        referrals_line=referral_text,
        explanation_lines=explanation_lines(explanation, differential, series_labels),
        model_line=model_line(differential),
        generated=f"Generated {when} by Prima Viewer {__version__}.",
    )


def explanation_summary(explanation: dict[str, Any]) -> dict[str, Any]:
    """An ``Explanation.to_dict()`` without the per-token scores (series names and counts kept)."""
    summary = {k: v for k, v in explanation.items() if k != "series"}
    summary["series"] = [
        {"name": s["name"], "tokens": len(s.get("scores", []))} for s in explanation.get("series", [])
    ]
    return summary


def results_document(
    result: dict[str, Any],
    *,
    study: Study,
    explanation: dict[str, Any] | None = None,
    generated: dt.datetime | None = None,
) -> dict[str, Any]:
    """The exported results JSON: the Prediction JSON, the ranked differential, the selected
    explanation's summary and the caveats."""
    from prima_core.analysis.differential import differential_from_result

    differential = differential_from_result(result)
    info = study.to_dict()
    info.pop("series", None)
    return {
        "format": RESULTS_FORMAT,
        "generated": (generated or dt.datetime.now()).isoformat(timespec="seconds"),
        "viewer_version": __version__,
        "caveats": differential.caveats,
        "margins_note": MARGINS_NOTE,
        "study": info,
        "differential": [
            {
                "name": d.name,
                "display_name": d.display_name,
                "group": d.group,
                "margin": d.margin,
                "positive": d.positive,
            }
            for d in differential.diagnoses
        ],
        "referrals": [
            {"name": r.name, "margin": r.margin, "positive": r.positive} for r in differential.referrals
        ],
        "priority": differential.priority_level,
        "prediction": result,
        "explanation": explanation_summary(explanation) if explanation else None,
    }
