"""Facts of Venezuela's presidential election of 28 July 2024 used by the `venezuela-2024` preset.

Totals: 30,026 mesas and 21,321,805 registered electors (CNE, as quoted in ../shared/data/README.md);
24 states with their 335 municipalities; about 1,100 parishes and 15,800 voting centres.
State codes and names, and each state's weights for mesas, registered electors, parishes and
centres, are counted from the opposition's acta collection (RESULTADOS_2024_CSV_V1, 24,532 actas),
which covers about 83% of mesas; the preset scales them to the national totals.

The ballot: ten candidates and 38 party cards, grouped by candidate in the order the 2024 acta
QR codes list them (Maduro 13, Martínez 6, Bertucci 1, Brito 4, Ecarri 6, Fermín 1, Ceballos 2,
González 3, Márquez 1, Rausseo 1). Card names within each group follow press reports of the
CNE's ballot of May 2024; their order within a group is not attested by the QR format.
"""

from __future__ import annotations

MESAS = 30_026
REGISTERED = 21_321_805
PARISHES = 1_100
CENTRES = 15_800

# code, name, municipalities, then actas, registered, parishes, centres seen in the opposition's actas
STATES: tuple[tuple[str, str, int, int, int, int, int], ...] = (
    ("01", "Distrito Capital", 1, 1534, 1210692, 22, 701),
    ("02", "Anzoátegui", 21, 1338, 1034534, 54, 594),
    ("03", "Apure", 7, 533, 356838, 26, 331),
    ("04", "Aragua", 18, 1509, 1204780, 49, 612),
    ("05", "Barinas", 12, 945, 595600, 52, 599),
    ("06", "Bolívar", 11, 1129, 812953, 41, 577),
    ("07", "Carabobo", 14, 1362, 1119066, 33, 489),
    ("08", "Cojedes", 9, 416, 262047, 15, 273),
    ("09", "Falcón", 25, 1062, 681627, 77, 658),
    ("10", "Guárico", 15, 757, 519768, 37, 453),
    ("11", "Lara", 9, 1487, 1030354, 54, 831),
    ("12", "Mérida", 23, 910, 627883, 85, 522),
    ("13", "Miranda", 21, 2223, 1726125, 54, 942),
    ("14", "Monagas", 13, 767, 549067, 42, 426),
    ("15", "Nueva Esparta", 11, 507, 369879, 22, 269),
    ("16", "Portuguesa", 14, 984, 643733, 41, 625),
    ("17", "Sucre", 15, 1039, 685505, 57, 654),
    ("18", "Táchira", 29, 1229, 846069, 65, 686),
    ("19", "Trujillo", 20, 909, 547998, 93, 610),
    ("20", "Yaracuy", 14, 691, 448723, 21, 459),
    ("21", "Zulia", 21, 2592, 2045873, 100, 1133),
    ("22", "Amazonas", 7, 108, 75761, 4, 72),
    ("23", "Delta Amacuro", 4, 176, 101412, 18, 130),
    ("24", "La Guaira", 1, 325, 248952, 10, 171),
)

# candidate id (as in the opposition's CSV), name, then its party cards as (id, name)
CANDIDATES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "NM",
        "Nicolás Maduro",
        (
            ("PSUV", "Partido Socialista Unido de Venezuela"),
            ("PCV", "Partido Comunista de Venezuela"),
            ("TUPAMARO", "Movimiento Tupamaro"),
            ("PPT", "Patria Para Todos"),
            ("MSV", "Somos Venezuela"),
            ("PODEMOS", "Por la Democracia Social"),
            ("PVV", "Partido Verde de Venezuela"),
            ("ENAMORATE", "Enamórate Venezuela"),
            ("MEP", "Movimiento Electoral del Pueblo"),
            ("FUTURO", "Futuro"),
            ("UPV", "Unidad Popular Venezolana"),
            ("APC", "Alianza para el Cambio"),
            ("ORA", "Organización Renovadora Auténtica"),
        ),
    ),
    (
        "LM",
        "Luis Eduardo Martínez",
        (
            ("UNE", "Unión Nacional Electoral"),
            ("AD", "Acción Democrática"),
            ("MR", "Movimiento Republicano"),
            ("BR", "Bandera Roja"),
            ("DDP", "Derecha Democrática Popular"),
            ("COPEI", "COPEI"),
        ),
    ),
    ("JABE", "Javier Bertucci", (("ELCAMBIO", "El Cambio"),)),
    (
        "JOBR",
        "José Brito",
        (
            ("PV", "Primero Venezuela"),
            ("PJ", "Primero Justicia"),
            ("VU", "Venezuela Unidad"),
            ("UVV", "Unidad Visión Venezuela"),
        ),
    ),
    (
        "AE",
        "Antonio Ecarri",
        (
            ("LAPIZ", "Alianza del Lápiz"),
            ("MIN", "MIN Unidad"),
            ("PEV", "Partido Ecológico de Venezuela"),
            ("CAMBIEMOS", "Cambiemos"),
            ("AP", "Avanzada Progresista"),
            ("FV", "Fuerza Vecinal"),
        ),
    ),
    ("CF", "Claudio Fermín", (("SOLUCIONES", "Soluciones para Venezuela"),)),
    ("DC", "Daniel Ceballos", (("AREPA", "AREPA Digital"), ("VPA", "Voluntad Popular Activistas"))),
    (
        "EG",
        "Edmundo González",
        (
            ("MUD", "Mesa de la Unidad Democrática"),
            ("UNT", "Un Nuevo Tiempo"),
            ("MPV", "Movimiento por Venezuela"),
        ),
    ),
    ("EM", "Enrique Márquez", (("CENTRADOS", "Centrados"),)),
    ("BERA", "Benjamín Rausseo", (("CONDE", "CONDE"),)),
)
