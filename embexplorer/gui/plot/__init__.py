"""The 2-D map: scatter rendering with level of detail, hit testing, colours and legend.

``colormap``, ``point_index`` and ``raster`` are numpy-only (tested without a display); the
widgets are in ``scatter_view`` and ``legend``.
"""
