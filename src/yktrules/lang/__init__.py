"""The front end: policy text → Lark parse tree → AST with source spans, and YAML with
positions.  Imports nothing of yktrules but ``errors``.

- :mod:`.lexicon`: every word of the language in English and Chinese;
- :mod:`.grammar`: loading the Lark grammar (``grammars/*.lark``);
- :mod:`.parser`: text to AST, syntax errors in words a policy officer reads;
- :mod:`.builder`: Lark parse tree to AST; :mod:`.ast`: the AST's nodes;
- :mod:`.yamlio`: YAML (parameter tables, case files, notice templates) with line numbers.
"""
