"""Prima Viewer's window: Qt + VTK views over core objects; no computation lives here.

Where later panels plug in (the analysis panel, for one):

* ``MainWindow.add_side_panel(widget, title)`` docks a panel on the right and lists it in View.
* ``ViewerState`` (``window.state``) is the shared model: ``set_overlay(volume, colormap=,
  threshold=)`` and ``set_opacity()`` draw a heatmap ``Volume`` over every 2D view, placed through
  the heatmap's own affine; ``set_selected_diagnosis(name)``; ``set_cursor(lps)`` moves all views.
  Subscribe with ``connect_handlers(state, obj)`` (``obj._on_<event>`` methods) and undo it with
  ``disconnect_handlers`` when the panel closes.
* ``SliceView.set_overlay(...)`` does the same for one view only.
* ``window.launch_options`` holds ``--analyze/--select/--method/--model`` from the command line;
  ``window.session`` has the open study (``session.result``, ``session.display(uid)``).
* Long work runs as ``app.workers.Worker(job)`` on ``window.session.workers``; errors go to
  ``window.show_error(title, message)`` (printed, exit 1, in ``--screenshot`` runs).
"""
