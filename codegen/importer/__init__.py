"""`python -m codegen import PAGE.txt [...] [--into DIR]`: turn vendor pages into spec YAML.

One file per path (`path.<segments>.yaml`, GET and POST of a path together) in the spec folder. A
resource already in a hand-written spec file is checked against the page, differences are reported and
nothing of it is written; a resource already in a page file is merged: what the spec holds is kept,
what the page adds is added, differences are reported. Every inference is printed and marked with a
`# inferred: ...` comment. A page that cannot be read is an error naming file and line, exit 2, and
nothing is written.

The steps, one module each: `pages.py` reads a page's text (`lenient.py` its cut-off examples);
`samples.py` finds the example values that show a table; `properties.py` infers a property from its row
and its example; `objects.py` makes the page's objects and `resource.py` its resource; `state.py` is the
spec folder as the importer sees it; `merge.py` merges a page into it; `write.py` writes the files.
"""

from .samples import url_segments
from .state import page_file_name
from .write import main, run

__all__ = ["main", "page_file_name", "run", "url_segments"]
