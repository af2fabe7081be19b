source /tmp/repro/lib.sh
# window paths covered by tests in /work/main/tests (run individually; not the whole suite)
run_case tests-d4-window-damaged-session 'cd /work/main && timeout 300 .venv/bin/python -m pytest -q -p no:cacheprovider "tests/gui/test_curation_gui.py::test_a_damaged_session_changes_nothing_and_says_which_field" 2>&1 | tail -2'
run_case tests-d8-no-rows-writers 'cd /work/main && timeout 300 .venv/bin/python -m pytest -q -p no:cacheprovider tests/core/test_export.py -k "no_rows" tests/test_cli.py::test_export_of_no_rows_is_refused_and_keeps_the_old_file 2>&1 | tail -2'
