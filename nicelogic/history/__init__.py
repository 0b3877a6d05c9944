"""A patient's whole history: episodes grouped by patient, spells supplied or derived, and
packs whose rules read every episode and spell of a patient at once (``reads = "patient"``).

Pipeline: records (with their :class:`nicelogic.model.Episode`) -> :mod:`.patients` (grouped,
ordered, spells from :mod:`.spells`) -> :mod:`.facts` (the patient vocabulary of
``logic/lib/vocabulary.lp``) -> :mod:`.checker` (one solve for a batch of patients) ->
:mod:`.results`.
"""
