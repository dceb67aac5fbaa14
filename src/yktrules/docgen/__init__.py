"""Documentation generated from the policies and the facts schema (``yktrules docs``): the
catalogue of items and their rules in plain words, the values still to be confirmed, the
facts field tables.  May import ``screening`` and below.
"""
