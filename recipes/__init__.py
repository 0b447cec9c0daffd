"""Recipes that ship with thinkset (``demo``, ``demo-grpo``, ``openvlthinker-iter1``), as package data.

``thinkset recipes list`` names them, ``thinkset recipes path NAME`` prints where one is installed (copy it to
start your own), and ``thinkset run NAME`` runs one when no file of that name exists.
"""
