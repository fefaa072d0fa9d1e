"""Business rules. Nothing here imports Streamlit: pages, tests and the CLI all call these."""
