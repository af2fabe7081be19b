"""The Analysis panel: parameters (applied on the worker as they change) and what came out:
a summary, the N_k histogram with its skewness, the top hubs, the clusters."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.analysis.analysis_columns import summary_fields
from embexplorer.core.analysis.clusters import CLUSTER_METHODS
from embexplorer.core.analysis.neighbors import ALL_METRICS
from embexplorer.core.analysis.params import (
    CLUSTER_SPACES,
    KNN_METHODS,
    LS_METHODS,
    MP_METHODS,
    REDUCTION_SEARCHES,
    REDUCTIONS,
    AnalysisParams,
)
from embexplorer.core.analysis.pipeline import AnalysisResult
from embexplorer.core.analysis.projection import AUTO_LAYOUT_MAX_ROWS, PROJECTIONS
from embexplorer.core.corpus import Corpus
from embexplorer.gui.reduction_table import ReductionTableView
from embexplorer.gui.tables import result_table

APPLY_DELAY_MS = 400
#: How the core's choices read in the window (the choices themselves come from core, so the
#: panel cannot offer one core does not know).
LABELS = {
    "euclidean": "Euclidean",
    "dot": "dot product",
    "hamming": "Hamming (1-bit codes)",
    "approx": "approximate",
    "auto": f"automatic (UMAP up to {AUTO_LAYOUT_MAX_ROWS:,} rows, else PCA)",
    "pca": "PCA",
    "tsne": "t-SNE",
    "umap": "UMAP",
    "layout": "2-D layout",
    "mp": "mutual proximity",
    "csls": "CSLS",
    "ls": "local scaling",
    "dsl": "DisSimLocal",
    "isoftmax": "inverted softmax",
    "gaussian": "Gaussian",
    "nicdm": "NICDM",
    "candidates": "candidates (≥ 95 % overlap)",
    "kmeans": "k-means",
    "hdbscan": "HDBSCAN",
}


def choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(LABELS.get(v, v), v) for v in values]


#: The metrics offered (Hamming is for 1-bit codes, the only metric they have).
METRIC_CHOICES = tuple(choices(ALL_METRICS))
TOP_HUBS = 50


def _combo(items: list[tuple[str, str]]) -> QComboBox:
    combo = QComboBox()
    for label, data in items:
        combo.addItem(label, data)
    # long choices ("automatic (UMAP up to 100,000 rows)") elide in a narrow dock, not widen it
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


def allow_choices(combo: QComboBox, allowed: tuple[str, ...]) -> None:
    """Grey out the combo's items whose data is not in ``allowed`` (a tooltip says why)."""
    model = combo.model()
    for i in range(combo.count()):
        item = model.item(i)
        ok = combo.itemData(i) in allowed
        item.setEnabled(ok)
        item.setToolTip(
            "" if ok else "Not for the embedding on the map (1-bit codes: Hamming only)"
        )


class AnalysisPanel(QWidget):
    params_changed = Signal(object)  # AnalysisParams
    row_chosen = Signal(int)  # a hub picked in the list
    cluster_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.k = QSpinBox()
        self.k.setRange(1, 100)
        self.k.setValue(10)
        self.metric_choice = _combo([*METRIC_CHOICES])
        self.knn = _combo(choices(KNN_METHODS))
        self.projection = _combo(choices(PROJECTIONS))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.clusters = _combo([("none", ""), *choices(CLUSTER_METHODS)])
        self.n_clusters = QSpinBox()
        self.n_clusters.setRange(2, 500)
        self.n_clusters.setValue(10)
        self.cluster_space = _combo(choices(CLUSTER_SPACES))
        self.reduction = _combo(choices(REDUCTIONS))
        self.mp_method = _combo(choices(MP_METHODS))
        self.ls_method = _combo(choices(LS_METHODS))
        self.reduction_search = _combo(choices(REDUCTION_SEARCHES))
        self.reduction_search.setToolTip(
            "Re-rank over every row (exact), or over candidates chosen so that the lists keep "
            "≥ 95 % of the exact ones (measured on a sample and shown); auto: exact up to "
            "20,000 rows"
        )
        self.beta_auto = QCheckBox("chosen")
        self.beta_auto.setChecked(True)
        self.beta_auto.setToolTip(
            "β = ln(bank size) / the typical gap between a row's nearest-neighbour similarity "
            "and its median similarity (the value used is in the summary)"
        )
        self.beta = QDoubleSpinBox()
        self.beta.setRange(0.001, 1000)
        self.beta.setDecimals(3)
        self.beta.setValue(20.0)
        self.beta.setToolTip("Inverted softmax temperature β, on similarities")
        self.compare = QCheckBox("side by side")
        self.compare.setToolTip("Every hubness reduction side by side, in the Reductions tab")
        self.compare.setChecked(True)
        self.reduction_table = ReductionTableView()
        self.summary = QLabel("No analysis yet.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.histogram = pg.PlotWidget(background="w")
        self.histogram.setMinimumHeight(150)
        self.histogram.setLabel("bottom", "N_k (times in others' k-NN lists)")
        self.histogram.setLabel("left", "points")
        self.histogram.setMouseEnabled(x=False, y=False)
        self.hubs = result_table(["row", "N_k", "label", "text"])
        self.cluster_list = result_table(["cluster", "size", "keywords"])
        self.result_tabs = QTabWidget()  # Hubness, Clusters
        self._hub_rows: list[int] = []
        self._cluster_ids: list[int] = []
        self._build()
        self._timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
        self._timer.timeout.connect(lambda: self.params_changed.emit(self.params()))
        for widget in (self.k, self.seed, self.n_clusters, self.beta):
            widget.valueChanged.connect(self._changed)
        for box in (self.beta_auto, self.compare):
            box.toggled.connect(self._changed)
        for combo in (
            self.metric_choice,
            self.knn,
            self.projection,
            self.clusters,
            self.cluster_space,
            self.reduction,
            self.mp_method,
            self.ls_method,
            self.reduction_search,
        ):
            combo.currentIndexChanged.connect(self._changed)
        self.hubs.itemSelectionChanged.connect(self._on_hub)
        self.cluster_list.itemSelectionChanged.connect(self._on_cluster)

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("k (neighbours)", self.k)
        form.addRow("Metric", self.metric_choice)
        form.addRow("kNN search", self.knn)
        form.addRow("Projection", self.projection)
        form.addRow("Seed", self.seed)
        form.addRow("Clusters", self.clusters)
        form.addRow("Number of clusters", self.n_clusters)
        form.addRow("Cluster on", self.cluster_space)
        form.addRow("Hubness reduction", self.reduction)
        form.addRow("Mutual proximity", self.mp_method)
        form.addRow("Local scaling", self.ls_method)
        beta_row = QWidget()
        beta_layout = QHBoxLayout(beta_row)
        beta_layout.setContentsMargins(0, 0, 0, 0)
        beta_layout.addWidget(self.beta_auto)
        beta_layout.addWidget(self.beta, stretch=1)
        form.addRow("β (inverted softmax)", beta_row)
        form.addRow("Re-rank over", self.reduction_search)
        form.addRow("Compare reductions", self.compare)
        self._form = form
        self._beta_row = beta_row
        settings_tab = QWidget()
        settings_tab.setLayout(form)
        tabs = self.result_tabs
        # the settings are a tab beside the results, so that no part of the panel scrolls at
        # 1280 × 800 (issue 11); the summary stays above every tab
        tabs.addTab(settings_tab, "Settings")
        hub_tab = QWidget()
        hub_layout = QVBoxLayout(hub_tab)
        hub_layout.addWidget(self.histogram)
        hub_layout.addWidget(QLabel("Top hubs (click to inspect who lists them):"))
        hub_layout.addWidget(self.hubs)
        tabs.addTab(hub_tab, "Hubness")
        tabs.addTab(self.cluster_list, "Clusters")
        tabs.addTab(self.reduction_table, "Reductions")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(tabs, stretch=1)
        self._enable_reduction(self.reduction.currentData())

    def _changed(self, *_) -> None:
        self.n_clusters.setEnabled(self.clusters.currentData() != "")
        self._enable_reduction(self.reduction.currentData())
        self._timer.start()

    def _enable_reduction(self, reduction: str) -> None:
        self.mp_method.setEnabled(reduction == "mp")
        self.ls_method.setEnabled(reduction == "ls")
        # a method's own setting is shown only while that method is chosen
        self._form.setRowVisible(self.mp_method, reduction == "mp")
        self._form.setRowVisible(self.ls_method, reduction == "ls")
        self._form.setRowVisible(self._beta_row, reduction == "isoftmax")
        self.beta_auto.setEnabled(reduction == "isoftmax")
        self.beta.setEnabled(reduction == "isoftmax" and not self.beta_auto.isChecked())
        self.reduction_search.setEnabled(reduction != "none" or self.compare.isChecked())

    def params(self) -> AnalysisParams:
        method = self.clusters.currentData()
        clusters = (
            None
            if not method
            else (f"kmeans:{self.n_clusters.value()}" if method == "kmeans" else "hdbscan")
        )
        return AnalysisParams(
            k=self.k.value(),
            metric=self.metric_choice.currentData(),
            knn=self.knn.currentData(),
            projection=self.projection.currentData(),
            seed=self.seed.value(),
            clusters=clusters,
            cluster_space=self.cluster_space.currentData(),
            reduction=self.reduction.currentData(),
            mp_method=self.mp_method.currentData(),
            ls_method=self.ls_method.currentData(),
            beta=None if self.beta_auto.isChecked() else self.beta.value(),
            reduction_search=self.reduction_search.currentData(),
            compare_reductions=self.compare.isChecked(),
        )

    def show_params(self, params: AnalysisParams) -> None:
        """Reflect parameters set elsewhere, without emitting a change."""
        widgets = [
            self.k,
            self.seed,
            self.n_clusters,
            self.beta,
            self.metric_choice,
            self.knn,
            self.projection,
            self.clusters,
            self.cluster_space,
            self.reduction,
            self.mp_method,
            self.ls_method,
            self.reduction_search,
            self.beta_auto,
            self.compare,
        ]
        for widget in widgets:
            widget.blockSignals(True)
        self.k.setValue(params.k)
        self.seed.setValue(params.seed)
        self.beta_auto.setChecked(params.beta is None)
        if params.beta is not None:
            self.beta.setValue(params.beta)
        self.compare.setChecked(params.compare_reductions)
        for combo, value in (
            (self.metric_choice, params.metric),
            (self.knn, params.knn),
            (self.projection, params.projection),
            (self.cluster_space, params.cluster_space),
            (self.reduction, params.reduction),
            (self.mp_method, params.mp_method),
            (self.ls_method, params.ls_method),
            (self.reduction_search, params.reduction_search),
        ):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        method, _, number = (params.clusters or "").partition(":")
        self.clusters.setCurrentIndex(max(0, self.clusters.findData(method)))
        if number:
            self.n_clusters.setValue(int(number))
        for widget in widgets:
            widget.blockSignals(False)
        self.n_clusters.setEnabled(bool(method))
        self._enable_reduction(params.reduction)

    def show_result(self, result: AnalysisResult | None, corpus: Corpus | None) -> None:
        self.histogram.clear()
        self.hubs.setRowCount(0)
        self.cluster_list.setRowCount(0)
        if result is None or corpus is None:
            self.summary.setText("Analysing…" if corpus is not None else "No analysis yet.")
            self.reduction_table.show_table(None, asked=False)
            return
        self.summary.setText(summary_text(result, corpus))
        self.reduction_table.show_table(result.comparison, result.params.compare_reductions)
        hub = result.hubness
        if hub is not None:
            self._show_histogram(hub)
            self._show_hubs(hub, corpus)
        clusters = result.clusters
        if clusters is not None:
            self._show_clusters(clusters)

    def _show_histogram(self, hub) -> None:
        counts = np.bincount(hub.k_occurrence)
        self.histogram.addItem(
            pg.BarGraphItem(x=np.arange(len(counts)), height=counts, width=0.9, brush="#4c78a8")
        )
        self.histogram.addItem(
            pg.InfiniteLine(2 * hub.k + 0.5, pen=pg.mkPen("#d62728", style=Qt.PenStyle.DashLine))
        )
        self.histogram.setTitle(
            f"skewness {hub.skewness:.2f}; hubs (N_k > {2 * hub.k}) right of the red line",
            size="9pt",
        )

    def _show_hubs(self, hub, corpus: Corpus) -> None:
        order = top_rows(hub.k_occurrence, TOP_HUBS)
        self._hub_rows = [int(r) for r in order]
        self.hubs.setRowCount(len(order))
        for i, row in enumerate(self._hub_rows):
            label = "" if corpus.labels is None else str(corpus.labels[row])
            text = "" if corpus.texts is None else str(corpus.texts[row])[:200]
            for col, value in enumerate(
                (str(corpus.ids[row]), str(hub.k_occurrence[row]), label, text)
            ):
                self.hubs.setItem(i, col, QTableWidgetItem(value))
        self.hubs.resizeColumnsToContents()

    def _show_clusters(self, clusters) -> None:
        sizes = sorted(clusters.sizes.items(), key=lambda kv: -kv[1])
        self._cluster_ids = [c for c, _ in sizes]
        self.cluster_list.setRowCount(len(sizes))
        for i, (cluster, size) in enumerate(sizes):
            words = ", ".join(clusters.keywords.get(cluster, [])) or clusters.label_text(cluster)
            for col, value in enumerate((str(cluster), f"{size:,}", words)):
                self.cluster_list.setItem(i, col, QTableWidgetItem(value))
        self.cluster_list.resizeColumnsToContents()

    def _on_hub(self) -> None:
        rows = self.hubs.selectionModel().selectedRows()
        if rows:
            self.row_chosen.emit(self._hub_rows[rows[0].row()])

    def _on_cluster(self) -> None:
        rows = self.cluster_list.selectionModel().selectedRows()
        if rows:
            self.cluster_chosen.emit(self._cluster_ids[rows[0].row()])


def top_rows(values: np.ndarray, m: int) -> np.ndarray:
    """``np.argsort(-values, kind="stable")[:m]`` (largest first, ties by row) without sorting
    every row: a partition finds the m-th largest, and only the rows at or above it are
    sorted (200,000 rows on the GUI thread: ~1 ms instead of ~15)."""
    m = min(m, len(values))
    if m <= 0:
        return np.empty(0, dtype=np.intp)
    cut = np.partition(values, len(values) - m)[len(values) - m]
    rows = np.flatnonzero(values >= cut)
    return rows[np.lexsort((rows, -values[rows]))][:m]


def auto_choice_text(auto: dict) -> str:
    """Why ``--knn auto`` chose its search, from the figures it recorded (knn_auto.auto_knn_task):
    the exact graph's projection, or only its products' when those alone decided."""
    exact_s = auto.get("exact_projected_s")
    at_least = auto.get("exact_at_least_s", float("nan"))
    exact = f"at least {at_least:.1f} s" if exact_s is None else f"{exact_s:.1f} s"
    return (
        f"chosen as faster: projected {exact} exact, {auto['approx_projected_s']:.1f} s approximate"
    )


def summary_text(result: AnalysisResult, corpus: Corpus) -> str:
    """N, D, metric, k, kNN method and recall, hubness, reduction, map faithfulness: the
    numbers of core.analysis_columns.summary_fields, as the Analysis panel shows them."""
    labels = None if corpus.label_column is None else (corpus.label_column, corpus.labels)
    f = summary_fields(result, labels)
    lines = [
        f"<b>{corpus.n_rows:,}</b> rows × <b>{corpus.dim}</b> dims, {f['metric']}, k = {f['k']}"
    ]
    if "knn_method" in f:
        how = f["knn_method"]
        if "recall" in f:
            how += f", recall@{f['k']} = {f['recall']:.3f} on {f['recall_sample']:,} exact queries"
        if (auto := f.get("knn_auto")) and "approx_projected_s" in auto:
            how += f" ({auto_choice_text(auto)})"
        lines.append(f"kNN: {how}")
    if "zero_vectors" in f:
        lines.append(
            f"<b>{f['zero_vectors']:,} all-zero vectors</b>: they have no direction, so under "
            "cosine their neighbours are ties (and they may show up as hubs)"
        )
    if "skewness" in f:
        lines.append(
            f"hubness: skewness {f['skewness']:.3f}, Robin Hood {f['robin_hood']:.3f}, "
            f"{f['n_hubs']:,} hubs, {f['n_antihubs']:,} antihubs"
        )
    if "hubness_reduction" in f:
        lines.append(reduction_line(f))
    if (accuracy := f.get("knn_accuracy")) is not None and accuracy["raw"] is not None:
        line = f"k-NN accuracy ({accuracy['label_column']}): {accuracy['raw']:.3f}"
        if accuracy.get("reduced") is not None:
            line += f" raw, {accuracy['reduced']:.3f} reduced"
        lines.append(line)
    if (quality := result.quality) is not None:
        lines.append(
            f"map: {quality.trustworthiness.describe()}; mean neighbour preservation "
            f"{f['mean_preservation']:.3f}"
        )
    return "<br>".join(lines)


def reduction_line(f: dict) -> str:
    """After which reduction, how (exact, or candidates and their overlap), with what β."""
    info = f["reduction"]
    name = LABELS.get(info["method"], info["method"])
    if info.get("variant"):
        name += f" ({LABELS.get(info['variant'], info['variant'])})"
    if info.get("beta") is not None:
        name += f", β = {info['beta']:.3g}" + (
            " (chosen)" if info.get("beta_rule") == "auto" else ""
        )
    if info.get("exact"):
        how = "exact: over every row"
    elif info.get("exact") is None:
        how = "from the graph's candidates"  # a session saved before this was recorded
    else:
        how = (
            f"<b>from {info['candidates']} candidates</b>: overlap {info['overlap']:.3f} with "
            f"the exact lists on {info['overlap_sample']:,} rows"
        )
    return (
        f"after {name}, {how}: skewness {f['skewness_reduced']:.3f}, Robin Hood "
        f"{f['robin_hood_reduced']:.3f}, {f['n_antihubs_reduced']:,} antihubs"
    )
