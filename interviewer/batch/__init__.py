"""Batch grading: a submissions file in, a graded file (and optionally an HTML report) out.

- `submissions`: reading the input file, one `Submission` per row
- `grading`: the question each row answers, rows graded in chunks
- `output`: the output file's columns, its writer, reading it back for --resume
- `summary`: running aggregates for the end-of-run summary
- `report`: the HTML report
- `store`: batch sessions in the transcript store
- `run`: a whole run (`BatchJob`, `run_batch`), used by the `grade` command
"""
