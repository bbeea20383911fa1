using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Hls.Devices
{
    /// <summary>
    /// One FPGA device's resources, from the vendor's public product tables (AMD/Xilinx 7-series, UltraScale and
    /// UltraScale+ product selection guides, Alveo U250 data sheet). BRAM counts are 18 Kb halves (a 36 Kb block is two).
    /// <see cref="DspA"/> is the DSP slice's wide multiplier input (25 bits in 7-series DSP48E1, 27 in DSP48E2); the
    /// other input is 18 bits in both.
    /// </summary>
    public sealed record FpgaDevice(string Name, string Board, int Dsp, int Lut, int Ff, int Bram18, int Uram, int DspA)
    {
        /// <summary>36 Kb blocks.</summary>
        public int Bram36 => Bram18 / 2;

        /// <summary>Every device QuantGen knows, by the device name a part number starts with.</summary>
        public static IReadOnlyList<FpgaDevice> Known { get; } = new[]
        {
            new FpgaDevice("xc7z020", "Zynq-7020 (Pynq-Z2)", 220, 53200, 106400, 280, 0, 25),
            new FpgaDevice("xc7a100t", "Artix-7 100T (Arty A7-100T)", 240, 63400, 126800, 270, 0, 25),
            new FpgaDevice("xczu9eg", "Zynq UltraScale+ ZU9EG (ZCU102)", 2520, 274080, 548160, 1824, 0, 27),
            new FpgaDevice("xcku115", "Kintex UltraScale KU115", 5520, 663360, 1326720, 4320, 0, 27),
            new FpgaDevice("xcvu9p", "Virtex UltraScale+ VU9P", 6840, 1182240, 2364480, 4320, 960, 27),
            new FpgaDevice("xcu250", "Alveo U250", 12288, 1728000, 3456000, 5376, 1280, 27),
        };

        /// <summary>The device a part number names (<c>xc7z020clg400-1</c> -> xc7z020), or null.</summary>
        public static FpgaDevice? Find(string part) =>
            Known.Where(d => part.StartsWith(d.Name, StringComparison.OrdinalIgnoreCase)).OrderByDescending(d => d.Name.Length).FirstOrDefault();

        public static string KnownList => string.Join(", ", Known.Select(d => d.Name + " (" + d.Board + ")"));
    }
}
