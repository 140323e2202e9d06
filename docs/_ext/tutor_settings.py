"""
``.. tutor-settings::``: the settings the Tutor plugin offers as config values, with their defaults, read from
``openedx_grade_freeze/setting_definitions.py`` (run as a file: the package is not imported).
"""
import runpy

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class TutorSettings(SphinxDirective):
    """A bullet list of the Tutor config values: ``NAME`` (default ``value``)."""

    def run(self):
        path = self.env.config.tutor_settings_definitions
        self.env.note_dependency(path)
        definitions = runpy.run_path(path)["SETTINGS"]
        items = nodes.bullet_list()
        for setting in definitions:
            if setting.tutor:
                items += nodes.list_item("", nodes.paragraph(
                    "", "", nodes.literal(text=setting.name), nodes.Text(" (default "),
                    nodes.literal(text=repr(setting.default)), nodes.Text(")"),
                ))
        return [items]


def setup(app):
    """Declare the directive and its one configuration value."""
    app.add_config_value("tutor_settings_definitions", "", "env")
    app.add_directive("tutor-settings", TutorSettings)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
