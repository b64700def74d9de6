"""Reorienting a volume to LPS by permuting and flipping its axes (no resampling).

The released pipeline calls SimpleITK's ``DICOMOrient(image, "LPS")``: every image axis is
assigned to the patient axis (L, P or S) it points to most closely, greedily by the largest
absolute direction cosine, and flipped when it points the opposite way. An oblique series is
only permuted and flipped, never resampled (``prima_reference.md`` section 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AxisMap:
    """How the image axes ``(i, j, k)`` map onto the patient axes ``(L, P, S)``.

    ``source_axis[p]`` is the image axis (0 = i, 1 = j, 2 = k) that becomes patient axis ``p``
    (0 = L, 1 = P, 2 = S); ``flipped[p]`` says whether it runs from the patient's L/P/S side
    towards the opposite one and must be reversed.
    """

    source_axis: tuple[int, int, int]
    flipped: tuple[bool, bool, bool]


def closest_lps(direction: np.ndarray) -> AxisMap:
    """Assign image axes to patient axes the way ITK's ``DICOMOrientImageFilter`` does.

    ``direction`` is 3x3 with column ``a`` the unit LPS direction of image axis ``a``. The
    largest remaining ``|cosine|`` fixes one (patient axis, image axis) pair at a time; ties go to
    the pair that comes last in (patient axis, image axis) order, as ITK's sorted multimap does.
    """
    direction = np.asarray(direction, dtype=np.float64)
    pairs = [(abs(direction[p, a]), p, a) for p in range(3) for a in range(3)]
    source = [0, 0, 0]
    flipped = [False, False, False]
    used_p: set[int] = set()
    used_a: set[int] = set()
    for _ in range(3):
        candidates = [(v, order, p, a) for order, (v, p, a) in enumerate(pairs)]
        candidates = [c for c in candidates if c[2] not in used_p and c[3] not in used_a]
        _, _, p, a = max(candidates)
        source[p] = a
        flipped[p] = bool(direction[p, a] < 0)
        used_p.add(p)
        used_a.add(a)
    return AxisMap((source[0], source[1], source[2]), (flipped[0], flipped[1], flipped[2]))


def reorient_array(array_kji: np.ndarray, axis_map: AxisMap) -> np.ndarray:
    """Permute and flip ``array[k, j, i]`` into ``a[S, P, L]`` (slowest first, ``L`` fastest)."""
    numpy_axis_of = {0: 2, 1: 1, 2: 0}  # image axis i/j/k -> numpy axis of array[k, j, i]
    order = [numpy_axis_of[axis_map.source_axis[p]] for p in (2, 1, 0)]  # S, P, L
    out = np.transpose(array_kji, order)
    flips = [ax for ax, p in enumerate((2, 1, 0)) if axis_map.flipped[p]]
    if flips:
        out = np.flip(out, axis=tuple(flips))
    return np.ascontiguousarray(out)


def lps_index_to_source_index(shape_ijk: tuple[int, int, int], axis_map: AxisMap) -> np.ndarray:
    """The 4x4 matrix taking a reoriented index ``(l, p, s, 1)`` to the source ``(i, j, k, 1)``.

    ``l``, ``p``, ``s`` index ``a[s, p, l]``; ``shape_ijk`` is the source grid size along (i, j, k).
    """
    m = np.zeros((4, 4), dtype=np.float64)
    m[3, 3] = 1.0
    for p in range(3):
        a = axis_map.source_axis[p]
        if axis_map.flipped[p]:
            m[a, p] = -1.0
            m[a, 3] = shape_ijk[a] - 1
        else:
            m[a, p] = 1.0
    return m
