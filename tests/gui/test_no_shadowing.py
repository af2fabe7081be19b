"""No class in ``embexplorer.gui`` hides a Qt (or pyqtgraph) method behind its own name.

Qt calls virtual methods through the Python object, so an attribute that happens to share a
virtual's name replaces it: ``AnalysisPanel.metric`` (a combo box) hid ``QWidget.metric()``,
which Qt calls while painting, and the window died with SIGSEGV on every launch. These tests
walk every class the package defines, and every object of ours in a real window, so the whole
class of bug fails here instead of on a user's screen.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Iterator

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QAbstractItemModel, QObject, QRunnable, Signal
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

import embexplorer.gui

LIBRARIES = ("PySide6", "shiboken6", "pyqtgraph")

#: Virtuals we reimplement on purpose, as methods with Qt's signature and role, by the Qt base
#: that declares them. Anything else sharing a library name is a shadowing bug.
DELIBERATE_OVERRIDES: dict[type, frozenset[str]] = {
    QWidget: frozenset(
        {
            "closeEvent",
            "dragEnterEvent",
            "dropEvent",
            "leaveEvent",
            "sizeHint",
            "resizeEvent",
            "eventFilter",  # the map's legend follows the map's resizes
        }
    ),
    QGraphicsItem: frozenset({"paint", "boundingRect", "shape"}),
    QAbstractItemModel: frozenset(
        {"rowCount", "columnCount", "data", "multiData", "headerData", "flags"}
    ),
    QRunnable: frozenset({"run"}),
    pg.GraphicsItem: frozenset({"mouseClickEvent", "mouseDragEvent", "hoverEvent"}),
}
#: Names the binding itself adds to every subclass.
BINDING_NAMES = frozenset({"staticMetaObject"})


def _gui_classes() -> Iterator[type]:
    """Every class defined in a module of ``embexplorer.gui`` that derives from a Qt class."""
    package = embexplorer.gui
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if isinstance(cls, type) and cls.__module__ == module.__name__ and _library_bases(cls):
                yield cls


def _library_bases(cls: type) -> list[type]:
    return [b for b in cls.__mro__ if b.__module__.split(".")[0] in LIBRARIES]


def _library_names(cls: type) -> dict[str, type]:
    """Each name a library base of ``cls`` defines, with the most basic base defining it."""
    names: dict[str, type] = {}
    for base in _library_bases(cls):
        for name in dir(base):
            names[name] = base  # the MRO runs from derived to basic: the last one wins
    return names


def _instance_attributes(cls: type) -> set[str]:
    """Names the class's own methods assign on their first argument (``self.x = ...``)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or not (
            function.args.args
        ):
            continue
        me = function.args.args[0].arg
        for node in ast.walk(function):
            names.update(_assigned_on(node, me))
    return names


def _assigned_on(node: ast.AST, me: str) -> Iterator[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.comprehension):
        targets = [node.target]
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        targets = [node.optional_vars]
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "setattr"
        and len(node.args) >= 2
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == me
        and isinstance(node.args[1], ast.Constant)
    ):
        yield str(node.args[1].value)
        return
    else:
        return
    stack = list(targets)
    while stack:
        target = stack.pop()
        if isinstance(target, ast.Tuple | ast.List):
            stack.extend(target.elts)
        elif isinstance(target, ast.Starred):
            stack.append(target.value)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == me
        ):
            yield target.attr


def _is_deliberate_override(cls: type, name: str) -> bool:
    if not inspect.isfunction(vars(cls).get(name)):
        return False  # an attribute or a signal never stands in for a virtual
    return any(
        issubclass(cls, base) and name in allowed for base, allowed in DELIBERATE_OVERRIDES.items()
    )


def shadowing(cls: type, names: set[str]) -> list[str]:
    """One line per name of ``names`` that hides a library name of ``cls``."""
    library = _library_names(cls)
    return [
        f"{cls.__module__}.{cls.__qualname__}.{name} shadows "
        f"{library[name].__module__}.{library[name].__qualname__}.{name}"
        for name in sorted(names)
        if name in library and name not in BINDING_NAMES and not _is_deliberate_override(cls, name)
    ]


GUI_CLASSES = sorted(_gui_classes(), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_the_walk_finds_the_panels():
    names = {c.__name__ for c in GUI_CLASSES}
    assert {"MainWindow", "AnalysisPanel", "NeighborsPanel", "ScatterView"} <= names


@pytest.mark.parametrize("cls", GUI_CLASSES, ids=lambda c: c.__qualname__)
def test_no_class_attribute_method_or_instance_attribute_shadows_a_qt_name(cls):
    own = {n for n in vars(cls) if not n.startswith("__")} | _instance_attributes(cls)
    problems = shadowing(cls, own)
    assert not problems, "rename these (Qt calls its virtuals through them):\n" + "\n".join(
        problems
    )


def test_the_check_catches_the_metric_combo_that_crashed_the_window():
    class Panel(QWidget):
        def __init__(self):
            super().__init__()
            self.metric = None
            self.size = 3

        def update(self):  # hides QWidget.update: not an override Qt expects
            pass

        def closeEvent(self, event):
            pass

    problems = shadowing(Panel, {"metric", "size", "update", "closeEvent"})
    assert [p.rsplit(" shadows ", 1)[1] for p in problems] == [
        "PySide6.QtGui.QPaintDevice.metric",
        "PySide6.QtWidgets.QWidget.size",
        "PySide6.QtWidgets.QWidget.update",
    ]
    assert _instance_attributes(Panel) == {"metric", "size"}


@functools.cache
def _set_by_the_library(cls: type) -> frozenset[str]:
    """Instance attributes the nearest library base sets itself (pyqtgraph's PlotWidget copies
    its plot item's methods onto the widget): not ours to rename."""
    base = _library_bases(cls)[0]
    try:
        fresh = base()
    except (TypeError, NotImplementedError):  # needs arguments, or is abstract
        return frozenset()
    names = frozenset(getattr(fresh, "__dict__", {}))
    if isinstance(fresh, QObject):
        fresh.deleteLater()
    return names


def _our_objects(window) -> Iterator[object]:
    """The window, its child QObjects and scene items whose class is defined in the package."""
    objects: list[object] = [window, *window.findChildren(QObject)]
    for view in window.findChildren(QGraphicsView):
        if view.scene() is not None:
            objects.extend(view.scene().items())
    seen: set[int] = set()
    for obj in objects:
        if id(obj) not in seen and type(obj).__module__.startswith("embexplorer."):
            seen.add(id(obj))
            yield obj


def test_no_live_object_of_ours_carries_a_shadowing_attribute(opened_window):
    """Attributes set from outside a class (``view.tooltip_text = ...``) are caught here."""
    problems: list[str] = []
    for obj in _our_objects(opened_window):
        cls = type(obj)
        names = {  # the binding caches connected signals in the instance dict: not ours
            n
            for n in vars(obj)
            if not isinstance(getattr(cls, n, None), Signal) and n not in _set_by_the_library(cls)
        }
        problems += shadowing(cls, names)
    assert not problems, "\n".join(sorted(set(problems)))
