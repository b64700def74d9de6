"""PySide6.QtGui for Prima Viewer: PyInstaller's own collection minus Qt plugins a desktop viewer never loads.

Replaces PyInstaller's hook of the same name (hooks in the spec's ``hookspath`` take precedence). The
plugins left out would otherwise pull in whole Qt modules and system stacks: the virtual keyboard
(QtQuick, QtQml), the PDF image format (QtPdf), the GTK 3 theme (GTK, cairo, pango), embedded
platforms (EGLFS, linuxfb, evdev input) and the VNC platform (a network server).
"""

from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

LEFT_OUT = {
    "libqtvirtualkeyboardplugin.so",
    "libqpdf.so",
    "libqgtk3.so",
    "libqeglfs.so",
    "libqlinuxfb.so",
    "libqminimalegl.so",
    "libqvnc.so",
    "libqvkkhrdisplay.so",
    "libqeglfs-emu-integration.so",
    "libqeglfs-kms-egldevice-integration.so",
    "libqeglfs-x11-integration.so",
    "libqevdevkeyboardplugin.so",
    "libqevdevmouseplugin.so",
    "libqevdevtabletplugin.so",
    "libqevdevtouchplugin.so",
    "libqtuiotouchplugin.so",
    "qpdf.dll",
    "libqpdf.dylib",
    "qtvirtualkeyboardplugin.dll",
    "libqtvirtualkeyboardplugin.dylib",
}

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if Path(src).name not in LEFT_OUT]
