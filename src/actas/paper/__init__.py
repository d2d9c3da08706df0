"""What is printed on paper and read back from pixels: the tally sheet a machine prints, QR codes read
from images, phone photos of printed actas (synthetic and seeded, for the simulator and the tests),
and reading the acta in a witness's photo."""
