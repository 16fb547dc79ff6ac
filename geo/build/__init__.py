"""Builds the synthetic grid geography of 崂山区: district → street → community → grid.

Run ``python -m geo.build [--seed 20221020]``. It reads the shared reference data
(``shared/data/geo``) and writes the GeoJSON files under ``geo/data/`` that the app loads.
The same seed gives byte-identical files. The builder is offline: the app never imports
this package, it only reads the committed files (``geo/reference.py``).

What is real and what is made up:

* Street (街道) outlines are OpenStreetMap data (© OpenStreetMap contributors, ODbL) with
  the NBS 2023 codes. They are accurate to a few hundred metres only (see the CRS caveat in
  the shared README) and are treated as WGS-84.
* Community (社区) names and 12-digit codes are real (NBS 2021). No public source gives
  where they are, so community SHAPES AND PLACEMENT ARE SYNTHETIC. Each street is cut into
  as many cells as it has communities, and the names go to the cells in code order, from
  west to east. The list is committed as ``nbs_communities_2021.csv`` (a verbatim copy of
  ``shared/data/geo/laoshan_communities.csv``): NBS 2021 统计用区划代码, via the GitHub repo
  liyanjie2048/AdministrativeDivisionCn, file ``json/2021/345/345-3702.json`` at commit
  74875658fe652df5738bfb015b390b2857de65e3 (shared README, section 5).
* The 863 basic grids (网格) are synthetic; 863 is the published count. Every figure on
  them (households, population, buildings, key population, ...) is synthetic too.
* The professional grids (专业网格) are synthetic unions of basic grids. Each stays inside
  one street (every street has its own 派出所, 执法中队, ...), so basic grids, communities'
  grids and street boundaries all nest in them.

How the cells are cut: a made-up population-density surface samples a jittered lattice.
The surface is dense in the urban west, nearly empty on the 崂山 massif around 巨峰, and
has villages along the coast and a few valleys. Weighted k-means on the samples gives the
seeds, and the Voronoi cells of the seeds, clipped to the parent, are the children. So
urban units come out small and mountain units large.

Why the tiling is exact: the boundaries of a level are noded together once, with snap
rounding on the 1e-6° grid that the files are written at, and polygonized into faces.
Every unit at every level is the coverage union of its faces, so each parent is rebuilt
from its children. A parent's edge moves at most a micro-degree from the OSM source, and
rounding the output to 6 decimals changes nothing.
"""
