"""Files on the local disk: program folders, response files, the HTML report and its templates."""
