"""Jupyter save hook for ummkd's source notebooks (issue 25: using the UI must not dirty git).

`npm run notebook` (bin/notebook.sh) starts Jupyter with this folder on PYTHONPATH and
`--ContentsManager.pre_save_hook=ummkd_jupyter.strip_source_notebook`. When the UI saves (or
autosaves) one of the committed source notebooks, `notebooks/<name>.ipynb`, the saved file keeps
its cells' sources only: outputs, execution counts and UI-added metadata are dropped, and the
notebook metadata is reset to the generator's (lib/notebooks/notebook-source.ts). The generator
writes nbformat's own layout, so a notebook that was only opened and run is saved byte-identical
to the committed one. Edits of a cell's source are kept (a tweaked parameter is a real change).
Executed copies (notebooks/executed/) and any other notebook are saved untouched.
"""
import copy
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = re.compile(r"notebooks/[^/]+\.ipynb")
METADATA = {
    "kernelspec": {"display_name": "TypeScript", "language": "typescript", "name": "tslab"},
    # what the tslab kernel reports (lib/notebooks/notebook-source.ts writes the same)
    "language_info": {
        "codemirror_mode": {"mode": "typescript", "name": "javascript", "typescript": True},
        "file_extension": ".ts",
        "mimetype": "text/typescript",
        "name": "typescript",
        "version": "3.7.2",
    },
}


def is_source_notebook(path, contents_manager=None):
    """Whether `path` (server-relative) is one of the committed source notebooks of this checkout."""
    rel = path.strip("/")
    if contents_manager is not None and getattr(contents_manager, "root_dir", None):
        absolute = os.path.realpath(os.path.join(contents_manager.root_dir, rel))
        rel = os.path.relpath(absolute, os.path.realpath(ROOT)).replace(os.sep, "/")
    return SOURCE.fullmatch(rel) is not None


def strip_notebook(nb):
    """Drop outputs, execution counts and non-tag cell metadata; reset the notebook metadata (in place)."""
    for cell in nb["cells"]:
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k == "tags"}
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb["metadata"] = copy.deepcopy(METADATA)
    return nb


def strip_source_notebook(model, path, contents_manager=None, **kwargs):
    """ContentsManager.pre_save_hook: strip a source notebook before it is written."""
    if model.get("type") != "notebook" or not is_source_notebook(path, contents_manager):
        return
    strip_notebook(model["content"])
