"""Screening one application: :class:`PolicySet` (``yktrules.load``), resolving an item's
policy by region and date, the per-(region, epoch) environments, and the decision document.
May import ``bundle``, ``evaluate``, ``facts``, ``params``, ``ir`` and below.

- :mod:`.policyset`: ``load`` and :class:`PolicySet` (``screen``, ``screen_all``…);
- :mod:`.environment`: what a decision needs besides the facts, computed per region and epoch;
- :mod:`.decision`: :class:`Decision` (INTERFACES.md's document) and its ``explain()`` text.
"""
