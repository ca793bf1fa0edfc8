"""reconsume_report: read the statistics written by RECONSUME_STATS.

The code behind tools/reconsume-report, one job per module, each depending
only on the ones above it:

  errors      the program's name, InputError, reading a file
  lines       one line of the Prometheus text format: names, labels, values, HELP
  exposition  a whole file: families, order, duplicates, histograms (--check)
  figures     the report's figures from a parsed file (counts, quantiles, attempts)
  table       the text tables: one run, two runs side by side, the JSON diff
  series      the .csv series written beside the .prom file, and rates
  svg         the chart of the series
  cli         the options, the exit status and the error lines

Python 3.11 standard library only.
"""
