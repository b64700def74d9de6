"""The viewer's analysis logic without a window: results cache, differential, report, settings.

* :mod:`.fingerprint` -- a study's identity (series UIDs + voxel hashes) and a bundle's
  (its ``manifest.json`` SHA-256): together the results-cache key.
* :mod:`.results_cache` -- Prediction JSON per (study, model), so a study opened again shows its
  result at once.
* :mod:`.differential` -- the ranked differential, referrals and priority with display names.
* :mod:`.analyzer` -- ``Analyzer``: loads a bundle once, predicts (or reads the cache), explains.
* :mod:`.report` -- what an exported report and results JSON say, in which order, with caveats.
* :mod:`.settings` -- remembered choices (the model) in a small JSON file.
* :mod:`.methods` -- the saliency methods as the viewer offers them (labels, which ones are slow).
* :mod:`.model_import` -- converting official Prima files into an imported bundle.

Importing this package does not import torch (the viewer starts without it); the heavy parts are
imported inside the functions that need them.
"""
