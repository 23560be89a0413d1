"""IMS QTI 3.0 content packages of the item bank: export and import.

``export_package(items, assets)`` writes a zip (an IMS content package) and
``import_package(data)`` reads one back into the same :class:`~item_bank.model.Item`
objects and assets. Only the standard library is used (``zipfile``,
``xml.etree.ElementTree``).

Package layout
--------------
``imsmanifest.xml``
    IMS CP manifest in ``http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1``; one
    ``resource`` per item (type ``imsqti_item_xmlv3p0``), per shared stimulus
    (``imsqti_stimulus_xmlv3p0``) and per asset (``webcontent``), each listing its files
    and the resources it depends on.
``items/<id>-v<version>.xml``
    one ``qti-assessment-item`` (namespace ``http://www.imsglobal.org/xsd/imsqtiasi_v3p0``)
    per item; its identifier is ``<id>-v<version>`` (``_`` in front when the id starts
    with a digit, to keep it an XML name).
``stimuli/stimulus_<testlet>.xml``
    one ``qti-assessment-stimulus`` per testlet (the reading text, or for listening the
    audio), referred to by each item of the testlet with ``qti-assessment-stimulus-ref``.
    A stimulus of an item outside a testlet is ``stimuli/stimulus_item_<identifier>.xml``.
``assets/<sha256><ext>``
    the media files (``assets`` maps sha256 -> (media type, bytes)), played with HTML5
    ``<audio><source src=... type=...>`` in the item or stimulus body.

Interactions by kind
--------------------
* ``multiple_choice``: ``qti-choice-interaction`` (``max-choices=1``, ``shuffle=false``),
  ``qti-prompt`` = prompt, ``qti-simple-choice`` identifiers = choice ids; the context goes
  in ``<p class="tt-context">`` before it, ``**word**`` written as ``<strong>``. Response
  ``RESPONSE`` (single identifier), correct response = key, template ``match_correct``.
* ``yes_no``: the word in ``<p class="tt-word">``, choice interaction with the choices
  ``yes`` ("kyllä") and ``no`` ("ei"); ``match_correct``.
* ``cloze``: ``<p class="tt-cloze">`` with a ``qti-text-entry-interaction`` where ``___``
  stands; the hint (shown to the candidate) in ``<p class="tt-hint">``. Correct response
  ``accept[0]``; ``qti-mapping`` maps every accepted answer (in order) to 1 with
  ``case-sensitive="false"``; template ``map_response``.
* ``dictation``: the audio (role ``audio``) in ``<div class="tt-audio">`` and a
  ``qti-extended-text-interaction``; correct response = ``audio_text``. ``SCORE`` is
  ``external-scored="externalMachine"`` (0-2 by words, ``scoring/objective.py``).
* ``c_test``: ``<p class="tt-ctest">``: the text damaged by the C-test rule, each gap the
  letters left standing followed by a ``qti-text-entry-interaction`` ``GAP_1`` .. ``GAP_n``
  (``expected-length`` = letters missing). Each ``GAP_i`` has the missing part as correct
  response and a mapping (missing part or whole word, case-insensitive, to 1); response
  processing sums ``qti-map-response`` over the gaps. The undamaged source text (its
  exact spacing cannot be read back from the damaged text) is kept in the metadata.
* ``sentence_building``: chosen as a ``qti-text-entry-interaction`` (the candidate types
  the sentence, as the API takes it; a ``qti-order-interaction`` would lose capitals and
  punctuation of the accepted sentences). The words are shown in
  ``<ul class="tt-words"><li>``; correct response ``accept[0]``, mapping of every accepted
  sentence (case-insensitive); ``map_response``.
* ``writing_task``: ``qti-extended-text-interaction`` with the prompt; no correct response.
* ``read_aloud``: the text in ``<div class="tt-read-aloud">`` and a
  ``qti-upload-interaction`` (base type ``file``: the recording).
* ``speaking_prompt``: ``qti-upload-interaction`` with the prompt.
  Writing and speaking have no correct response; ``SCORE`` is
  ``external-scored="externalMachine"`` with ``normal-maximum`` = the item's maximum score.

Line breaks in texts are written as ``<br/>``; other spacing is kept as it is in the XML.
Fixed Finnish instructions (``qti-prompt`` of yes/no, dictation and read-aloud items,
``<p class="tt-instruction">`` of sentence building) are not item content and are ignored
on import. Texts with a carriage return or a control character XML 1.0 cannot carry are
refused on export.

Metadata (custom namespace ``https://taitotaso.fi/ns/item/1``, prefix ``tt``)
-----------------------------------------------------------------------------
What QTI has no place for lives in the manifest, in each resource's ``<metadata>`` (next
to a standard ``imsqti:qtiMetadata`` block, for information only)::

    <tt:item id="st-a2-x" version="1" kind="cloze" skill="structure" cefr="A2"
             topic="housing" status="live" position="0" testlet="...">
      <tt:irt model="3pl" a="1.2" b="-1.0" c="0.0" thresholds="-1.0 0.0 1.0"/>
      <tt:content name="focus" type="str">inessive</tt:content>
      <tt:asset role="audio" sha256="..."/>
    </tt:item>

* ``tt:item`` attributes: id, version, kind, skill, CEFR target, topic, status, position in
  the testlet and the testlet id (absent outside a testlet);
* ``tt:irt``: a, b, c, model and the GRM thresholds (space separated; floats written with
  ``repr`` so that they read back exactly);
* ``tt:content``: every content field that is not in the item body (``focus``,
  ``task_type``, ``min_words``, ``max_words``, ``prep_seconds``, ``max_seconds``, the C-test
  source ``text``, ...) with its type: ``str``, ``int``, ``float``, ``bool`` or ``json``;
* ``tt:asset``: the item's assets by role (``audio``, ``stimulus_audio``, ...).

A stimulus resource carries ``<tt:stimulus testlet="...">``; for listening its
``<tt:audio-text review-only="true">`` holds what is heard, for reviewers only: it is
never in the stimulus or item XML, so a delivery system does not show it. An asset
resource carries ``<tt:asset sha256="..." media-type="audio/ogg"/>``.

Import validates the whole package (paths, sizes, XML, manifest, references, checksums,
metadata, interactions, and every item against the content schemas of
``item_bank/schema.py``) before it returns anything; any problem raises
:class:`QTIImportError` naming the file inside the zip and the element or field.
Export checks the items first (:class:`QTIExportError`) and finally reads the package it
wrote back, so that what it returns is known to survive the round trip.

Not covered: QTI tests (``qti-assessment-test``), feedback, templates, accessibility
catalogs (``qti-catalog-info``), stylesheets, LOM metadata, and packages written by other
tools (import reads the packages this package writes and refuses anything else clearly).

Modules
-------
``spec`` (namespaces, resource types, how each kind maps onto an interaction, limits),
``errors``, ``validation`` (whether an item can be in the bank and in a package),
``exporter`` (``export_package``: manifest, metadata, zip) with ``item_writer`` (the XML of
each item kind) and ``xmlwrite``; ``importer`` (``import_package``: zip, manifest, assets,
stimuli, items) with ``item_reader`` (each item kind read back) and ``xmlread``.
"""
from __future__ import annotations

from .errors import QTIExportError, QTIImportError
from .exporter import export_package
from .importer import import_package
from .spec import (ASSET_TYPE, CP_NS, ITEM_TYPE, MANIFEST, MAP_RESPONSE, MATCH_CORRECT, MAX_ENTRIES,
                   MAX_UNCOMPRESSED, QTI_NS, QTIMD_NS, STIMULUS_TYPE, TT_NS, XML_NS, XSI_NS)

__all__ = ["export_package", "import_package", "QTIExportError", "QTIImportError", "ASSET_TYPE",
           "CP_NS", "ITEM_TYPE", "MANIFEST", "MAP_RESPONSE", "MATCH_CORRECT", "MAX_ENTRIES",
           "MAX_UNCOMPRESSED", "QTI_NS", "QTIMD_NS", "STIMULUS_TYPE", "TT_NS", "XML_NS", "XSI_NS"]
