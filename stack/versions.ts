/** Pinned versions of the local stack; docker-compose.yml uses the same ones (a test checks). */
export const QUESTDB_VERSION = '9.3.4';
export const MOTO_VERSION = '5.2.5';
/** QuestDB 9.4 and newer are built for Java 25; 9.3.x and older run on Java 17. */
export const QUESTDB_NEEDS_JAVA = 17;
/** PySpark for the curated lake's batch layer (spark/); Spark 4.0 runs on Java 17 and 21. */
export const PYSPARK_VERSION = '4.0.5';
