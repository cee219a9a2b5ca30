"""Printed A4 pages (PDF, embedded CJK font, maps drawn from the area's own streets).

``sheets``: patrol route sheets; ``rota``: weekly rotas; ``notice``: grid notice
boards (网格公示牌); ``report``: the monthly patrol report; ``fonts`` and ``streetmap`` (a map
of the area's own streets on a page): what they share.
"""
