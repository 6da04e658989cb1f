"""The OpenAPI 3.1 document of the JSON API, built in code.

Parameters come from the same ``bids.api.Parameter`` definitions the views check requests
against, and their allowed values from the filters' own querysets, so the document says what
the API really accepts. The response schemas are strict (every key required, no others) and
the tests validate real answers against them.
"""

from django.urls import reverse

from bids import api

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, description: str = "") -> dict:
    schema = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


MONEY_MEANING = {
    "allocated": "Money awarded for the year (or the group’s part of it).",
    "paid": "Money the Home Office has paid to the policing body.",
    "spent": "Spend the force has reported and the Home Office has verified.",
}

SCHEMAS = {
    "Money": {
        "type": "string",
        "pattern": api.MONEY_PATTERN,
        "description": "Pounds sterling as a decimal string with exactly two decimals, so that "
        "no pence are lost to floating point: 2240000.00 is £2,240,000.",
        "examples": ["2240000.00"],
    },
    "Reference": _object(
        {
            "slug": {"type": "string", "description": "Identifier, as the filters take it."},
            "name": {"type": "string", "description": "Name for people."},
        },
        "A force (slug = data.police.uk identifier) or a spend category.",
    ),
    "Tranche": _object(
        {
            "financial_year": {
                "type": "string",
                "pattern": r"^[0-9]{4}/[0-9]{2}$",
                "description": "UK financial year, 1 April to 31 March, written 2016/17.",
                "examples": ["2016/17"],
            },
            "allocated": {**_ref("Money"), "description": MONEY_MEANING["allocated"]},
            "paid": {**_ref("Money"), "description": MONEY_MEANING["paid"]},
            "spent": {**_ref("Money"), "description": MONEY_MEANING["spent"]},
        },
        "The part of an award for one financial year.",
    ),
    "Award": _object(
        {
            "reference": {"type": "string", "examples": ["PTF-2016-0001"]},
            "title": {"type": "string"},
            "fund": {"type": "string", "description": "Slug of the fund."},
            "round": {"type": "string", "description": "Slug of the funding round."},
            "lead_force": {**_ref("Reference"), "description": "The force that bid."},
            "partner_forces": {
                "type": "array",
                "items": _ref("Reference"),
                "description": "Forces that bid with the lead force, by name.",
            },
            "category": {
                "anyOf": [_ref("Reference"), {"type": "null"}],
                "description": "Spend category; null when none was given.",
            },
            "amount_awarded": {**_ref("Money"), "description": "The whole award."},
            "tranches": {
                "type": "array",
                "items": _ref("Tranche"),
                "description": "Every tranche of the award, in year order.",
            },
        },
        "A published award and its yearly tranches.",
    ),
    "AwardList": _object(
        {
            "count": {
                "type": "integer",
                "minimum": 0,
                "description": "How many awards match, over all pages.",
            },
            "next": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The next page, with the same filters; null on the last page.",
            },
            "previous": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The previous page; null on the first page.",
            },
            "results": {"type": "array", "items": _ref("Award")},
        }
    ),
    "AllocationRow": _object(
        {
            "key": {
                "type": ["string", "integer", "null"],
                "description": "Slug of the category, force or region, or the start year of "
                "the financial year (2016 for 2016/17). Null only for awards without a spend "
                "category.",
            },
            "label": {"type": "string", "description": "Name, or 2016/17 for a year."},
            "envelope": {
                "anyOf": [_ref("Money"), {"type": "null"}],
                "description": "Money set aside. Null when grouped by force or region: money "
                "is set aside by category and year, not by force.",
            },
            "allocated": _ref("Money"),
            "paid": _ref("Money"),
            "spent": _ref("Money"),
        }
    ),
    "AllocationTotals": _object(
        {
            "envelope": {"anyOf": [_ref("Money"), {"type": "null"}]},
            "allocated": _ref("Money"),
            "paid": _ref("Money"),
            "spent": _ref("Money"),
        },
        "The sums of the rows.",
    ),
    "Allocations": _object(
        {
            "results": {"type": "array", "items": _ref("AllocationRow")},
            "totals": _ref("AllocationTotals"),
        }
    ),
    "Problem": _object(
        {
            "parameter": {
                "type": ["string", "null"],
                "description": "The query parameter at fault; null when it is not a "
                "parameter (a method other than GET or HEAD).",
            },
            "message": {"type": "string", "description": "What is wrong, for a person."},
        }
    ),
    "Error": _object(
        {
            "error": {**_ref("Problem"), "description": "The first problem."},
            "errors": {
                "type": "array",
                "minItems": 1,
                "items": _ref("Problem"),
                "description": "Every problem found.",
            },
        }
    ),
    "Index": _object(
        {
            "name": {"type": "string"},
            "version": {"type": "string"},
            "description": {"type": "string"},
            "licence": _object(
                {"name": {"type": "string"}, "url": {"type": "string", "format": "uri"}}
            ),
            "documentation": {"type": "string", "format": "uri"},
            "openapi": {"type": "string", "format": "uri"},
            "endpoints": {
                "type": "object",
                "additionalProperties": _object(
                    {
                        "url": {"type": "string", "format": "uri"},
                        "description": {"type": "string"},
                    }
                ),
            },
        }
    ),
}

DESCRIPTION = """\
Read-only open data on the awards of the Police Transformation Fund and the funds before it:
what was set aside for each spend category, what was allocated to each force, region and
financial year, and how much has been paid and spent.

**Only published results.** Nothing of a funding round appears before the Home Office
publishes its results; drafts, bids that were not funded, documents, reviews and people’s
names never appear.

**Money** is a string with two decimals (`"2240000.00"`), never a JSON number, so no pence are
lost. Financial years run from 1 April to 31 March: filters and `key` use the start year
(`2016`), labels the usual form (`2016/17`).

**Forces and regions.** Where forces bid together, an award may be split between them by
agreed shares. The `force` and `region` filters, and grouping by force or region, count each
award only by the shares of the forces concerned; an award without shares counts in full for
its lead force and not for its partners. So the rows of `/allocations/?group_by=force` add up
to the totals and nothing is counted twice. Money is set aside by spend category and year, not
by force, so `envelope` is null when grouping by force or region, and with a `force` or
`region` filter the envelope of a category or year is the whole of it, not the force’s part.

**Awards.** An award is listed when it has a tranche that the filters keep (for example, a
tranche in the financial year asked for, or a share for the force asked for). The award is
then shown whole: its full amount and every tranche. `fund` and `round` are the slugs that the
filters take; the OpenAPI parameters list every allowed value.

**Errors.** A bad value, a parameter an endpoint does not take, a parameter given twice, a
page past the last or a `page_size` over the limit gets HTTP 400 and a JSON body naming the
parameter: `{"error": {"parameter", "message"}, "errors": [...]}`. An empty value counts as
not given. Methods other than GET and HEAD get 405.

**Freshness.** Answers may be cached for up to ten minutes after a change is published;
browsers may keep them for a minute. Any web page may read the API
(`Access-Control-Allow-Origin: *`). No key is needed.
"""


def _example_award() -> dict:
    return {
        "reference": "PTF-2016-0001",
        "title": "East Midlands integrated technology plan",
        "fund": "police-transformation-fund",
        "round": "ptf-2016-17-round-1",
        "lead_force": {"slug": "nottinghamshire", "name": "Nottinghamshire Police"},
        "partner_forces": [
            {"slug": "leicestershire", "name": "Leicestershire Police"},
            {"slug": "northamptonshire", "name": "Northamptonshire Police"},
        ],
        "category": {"slug": "digital", "name": "Digital"},
        "amount_awarded": "5740000.00",
        "tranches": [
            {
                "financial_year": "2016/17",
                "allocated": "2240000.00",
                "paid": "2240000.00",
                "spent": "2015000.00",
            },
            {
                "financial_year": "2017/18",
                "allocated": "3500000.00",
                "paid": "1750000.00",
                "spent": "0.00",
            },
        ],
    }


def examples(base_url: str) -> dict[str, dict]:
    """Example requests and answers, for the document and the open-data page; ``base_url`` is
    the API root without its final slash."""
    return {
        "awards": {
            "request": f"{base_url}/awards/?financial_year=2016&page_size=1",
            "response": {
                "count": 14,
                "next": f"{base_url}/awards/?financial_year=2016&page_size=1&page=2",
                "previous": None,
                "results": [_example_award()],
            },
        },
        "allocations": {
            "request": f"{base_url}/allocations/?group_by=category&financial_year=2016",
            "response": {
                "results": [
                    {
                        "key": "armed-policing",
                        "label": "Armed policing",
                        "envelope": "34000000.00",
                        "allocated": "0.00",
                        "paid": "0.00",
                        "spent": "0.00",
                    },
                    {
                        "key": "digital",
                        "label": "Digital",
                        "envelope": "4600000.00",
                        "allocated": "4680000.00",
                        "paid": "4680000.00",
                        "spent": "2015000.00",
                    },
                ],
                "totals": {
                    "envelope": "38600000.00",
                    "allocated": "4680000.00",
                    "paid": "4680000.00",
                    "spent": "2015000.00",
                },
            },
        },
        "error": {
            "request": f"{base_url}/allocations/?group_by=colour",
            "response": {
                "error": {
                    "parameter": "group_by",
                    "message": "Cannot group by “colour”: choose category, force, region or "
                    "financial_year.",
                },
                "errors": [
                    {
                        "parameter": "group_by",
                        "message": "Cannot group by “colour”: choose category, force, region "
                        "or financial_year.",
                    }
                ],
            },
        },
    }


def _parameter(parameter: api.Parameter, allowed: dict[str, list[api.Choice] | None]) -> dict:
    choices = allowed[parameter.name]
    description = parameter.description
    if parameter.name in ("fund", "round") and choices:
        named = "; ".join(f"`{choice.value}`: {choice.label}" for choice in choices)
        description = f"{description} Allowed: {named}."
    return {
        "name": parameter.name,
        "in": "query",
        "required": parameter.required,
        "description": description,
        "schema": parameter.json_schema(choices),
        "example": int(parameter.example) if parameter.example.isdigit() else parameter.example,
    }


def _json(schema: str, description: str, example: dict | None = None) -> dict:
    content = {"schema": _ref(schema)}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def _errors(example: dict | None = None) -> dict:
    return {
        "400": _json("Error", "A parameter is wrong; the body names it.", example),
        "405": _json("Error", "The API answers GET and HEAD only."),
    }


def document(request) -> dict:
    """The OpenAPI 3.1 document, with absolute URLs for the site that serves ``request``."""
    root = reverse("api:root")
    base_url = request.build_absolute_uri(root).rstrip("/")

    def relative(name: str) -> str:
        return "/" + reverse(name).removeprefix(root)

    example = examples(base_url)
    # Each parameter's allowed values read once, though both endpoints list the filters.
    parameters = {p.name: p for p in (*api.AWARDS_PARAMETERS, *api.ALLOCATIONS_PARAMETERS)}
    allowed = {name: parameter.allowed() for name, parameter in parameters.items()}
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Police funding tracker API",
            "version": API_VERSION,
            "summary": "Published Police Transformation Fund awards and allocations.",
            "description": DESCRIPTION,
            "license": {"name": api.LICENCE_NAME, "url": api.LICENCE_URL},
        },
        "externalDocs": {
            "description": "Open data: downloads, field descriptions and licence",
            "url": request.build_absolute_uri(reverse("public:open_data")),
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "index",
                    "summary": "Links to the endpoints and this document",
                    "responses": {"200": _json("Index", "The index.")},
                }
            },
            relative("api:awards"): {
                "get": {
                    "operationId": "listAwards",
                    "summary": "Published awards, a page at a time",
                    "description": "Published awards with a tranche the filters keep, in "
                    f"order of reference, {api.DEFAULT_PAGE_SIZE} to a page unless "
                    "`page_size` says otherwise.",
                    "parameters": [_parameter(p, allowed) for p in api.AWARDS_PARAMETERS],
                    "responses": {
                        "200": _json(
                            "AwardList", "A page of awards.", example["awards"]["response"]
                        ),
                        **_errors(),
                    },
                }
            },
            relative("api:allocations"): {
                "get": {
                    "operationId": "allocations",
                    "summary": "Money set aside, allocated, paid and spent, totalled",
                    "description": "One row per spend category, force, region or financial "
                    "year (`group_by`), and their totals. Categories and years with money set "
                    "aside but nothing allocated have a row.",
                    "parameters": [_parameter(p, allowed) for p in api.ALLOCATIONS_PARAMETERS],
                    "responses": {
                        "200": _json(
                            "Allocations",
                            "The rows and totals.",
                            example["allocations"]["response"],
                        ),
                        **_errors(example["error"]["response"]),
                    },
                }
            },
            relative("api:openapi"): {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
