"""Run Spark SQL files in one session: python spark/run_sql.py FILE [FILE ...] name=value ...

Each name=value becomes a Spark SQL variable (`${name}` in the file). Statements end with `;` at the end of a
line. Local mode unless SPARK_MASTER (or spark-submit --master) says otherwise; the session time zone is UTC.
"""
import os
import sys
import tempfile
import time

from pyspark import SparkConf
from pyspark.sql import SparkSession


def statements(text):
    """The file's statements, comment lines dropped."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";").strip()]


def main(argv):
    files = [a for a in argv if "=" not in a]
    pairs = [a.split("=", 1) for a in argv if "=" in a]
    if not files:
        sys.stderr.write("usage: run_sql.py FILE [FILE ...] name=value ...\n")
        return 2
    stmts = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            stmts += statements(f.read())
    builder = SparkSession.builder.appName("btc-rates-lake").config("spark.sql.session.timeZone", "UTC")
    # spark-submit on a cluster brings its own master; run by plain python, it is local mode.
    if not SparkConf().contains("spark.master"):
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
        # Spark makes its default database's folder on first use; keep it out of the caller's working folder.
        warehouse = os.path.join(tempfile.gettempdir(), "btc-rates-spark-warehouse")
        builder = builder.config("spark.sql.warehouse.dir", warehouse)
    spark = builder.config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for name, value in pairs:
            spark.conf.set(name, value)
        started = time.monotonic()
        for s in stmts:
            spark.sql(s.rstrip(";"))
        print(f"spark: {len(stmts)} statements in {time.monotonic() - started:.2f} s (Spark {spark.version})")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
