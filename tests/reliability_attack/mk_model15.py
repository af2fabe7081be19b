# defect 15: a second local ONNX model (the bundled one re-saved with another doc string: another SHA-256)
import shutil, onnx
from embexplorer.core.embedding.embedding import default_config
c = default_config()
m = onnx.load(str(c.model_path)); m.doc_string = "not the model the user chose"; onnx.save(m, "ok_external.onnx")
shutil.copy(c.tokenizer_path, "tok.json")
