from setuptools import find_packages, setup

# The Dagster family is pinned exactly: core 1.13.N pairs with libraries 0.29.N, and an unpinned
# install lets pip pair a new core with dagster-postgres 0.11.14 (2021), which fails to import.
DAGSTER = [
    "dagster==1.13.27",
    "dagster-webserver==1.13.27",
    "dagster-graphql==1.13.27",
    "dagster-postgres==0.29.27",
]

setup(
    name="smartbind_pipelines",
    version="0.1.0",
    description="Dagster pipelines that keep Smartsheet sheets in step with Bind ERP",
    packages=find_packages(exclude=["smartbind_pipelines_tests", "smartbind_pipelines_tests.*"]),
    # The declarations shipped with smartbind (clients, products), read by the same loader as an operator's.
    package_data={"smartbind_pipelines.core.processes": ["shipped/*.toml"]},
    python_requires=">=3.11,<3.14",
    install_requires=[
        *DAGSTER,
        "smartsheet-python-sdk==4.4.0",
        "requests>=2.31,<3",
        # Imported directly (CLI, admin API, emulators); the Dagster family already brings them.
        "click>=8.1",
        "starlette>=0.37",
        "uvicorn>=0.29",
    ],
    extras_require={
        "dev": [
            "pytest>=8,<9",
            "pytest-xdist>=3.5,<4",
            "playwright>=1.40,<2",
            "ruff==0.17.5",  # make lint; the version pinned so that a new rule cannot fail CI by itself
        ],
    },
    entry_points={"console_scripts": ["smartbind=smartbind_pipelines.cli:main"]},
)
