"""Guard against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 on Python 3.11 drops a reference to ``True`` on every ``SignalInstance.emit()``
and ``disconnect()``; after a few hundred mouse events the interpreter aborts
("bool_dealloc: deallocating True or False"). pyproject.toml excludes that version; this test
fails loudly if an affected binding is installed anyway.
"""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_signal_emit_keeps_reference_counts_balanced():
    emitter = _Emitter()
    received = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for n in range(200):
        emitter.fired.emit(n)
    emitter.fired.disconnect(received.append)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(received) == 200
    assert after[0] >= before[0] - 2 and after[1] >= before[1] - 2, (before, after)
