using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace QuantGen.BuildScale
{
    /// <summary>
    /// dotnet run --project samples/BuildScale -c Release -- [sizes in MB...] (default 1 8 32 100). Per size: a fresh
    /// consumer in a temp folder, a clean build and a no-op rebuild, each under /usr/bin/time -v (wall seconds, peak RSS
    /// of the largest process: MSBuild or csc, which runs out of the build server here), then the app runs once (the
    /// weights load from the embedded resource). "0" is the same app without QuantGen (the no-op baseline).
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            string repo = FindRepo();
            if (args.Length == 3 && args[0] == "setup")
            {
                // setup <MB> <dir>: only write the consumer (for investigating a build by hand).
                int size = int.Parse(args[1], CultureInfo.InvariantCulture);
                Directory.CreateDirectory(args[2]);
                if (size > 0)
                {
                    WriteModel(args[2], size);
                }

                WriteProject(args[2], repo, size > 0);
                return 0;
            }

            int[] sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : new[] { 0, 1, 8, 32, 100 };
            Console.WriteLine("| weights (MiB) | file (bytes) | clean build (s) | peak RSS (MiB) | no-op build (s) | app run |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---|");
            foreach (int mb in sizes)
            {
                string dir = Path.Combine(Path.GetTempPath(), "quantgen-scale-" + mb.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
                Directory.CreateDirectory(dir);
                long bytes = mb == 0 ? 0 : WriteModel(dir, mb);
                WriteProject(dir, repo, mb > 0);
                Run("dotnet", "restore -v:q", dir);
                (double clean, long rss) = Timed("build --no-restore -c Release -v:q -nodeReuse:false -p:UseSharedCompilation=false", dir);
                (double noop, _) = Timed("build --no-restore -c Release -v:q -nodeReuse:false -p:UseSharedCompilation=false", dir);
                string run = Run("dotnet", "bin/Release/net10.0/Scale.dll", dir).Trim();
                Console.WriteLine($"| {mb} | {bytes} | {clean:F1} | {rss / 1024} | {noop:F2} | {run} |");
                try
                {
                    Directory.Delete(dir, true);
                }
                catch (IOException)
                {
                }
            }

            return 0;
        }

        private static string FindRepo()
        {
            string? d = AppContext.BaseDirectory;
            while (d != null && !File.Exists(Path.Combine(d, "Gen.sln")))
            {
                d = Path.GetDirectoryName(d);
            }

            return d ?? throw new InvalidOperationException("run from inside the repository");
        }

        /// <summary>64 -> H -> (H -> H) x L -> 10, int8 per-tensor weights, int32 biases; returns the .safetensors size.</summary>
        private static long WriteModel(string dir, int mb)
        {
            int h = mb >= 8 ? 2048 : 1024;
            int hidden = Math.Max(1, (int)((long)mb * 1024 * 1024 / ((long)h * h)));
            var dims = new List<int> { 64, h };
            for (int i = 0; i < hidden; i++)
            {
                dims.Add(h);
            }

            dims.Add(10);
            var rng = new Random(20261205);
            const double sIn = 0.062745101749897, sW = 0.002, sH = 0.08;
            var header = new StringBuilder("{\"__metadata__\":{\"format\":\"quantgen\"}");
            var layers = new StringBuilder();
            var inits = new StringBuilder();
            var acts = new StringBuilder();
            long offset = 0;
            string path = Path.Combine(dir, "big.safetensors");
            var data = new List<(string Name, byte[] Bytes)>();
            string prev = "x";
            for (int l = 0; l + 1 < dims.Count; l++)
            {
                int k = dims[l], n = dims[l + 1];
                string name = "fc" + l.ToString(CultureInfo.InvariantCulture), output = l + 2 == dims.Count ? "y" : "h" + l.ToString(CultureInfo.InvariantCulture);
                byte[] w = new byte[(long)n * k];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = unchecked((byte)(sbyte)rng.Next(-127, 128));
                }

                byte[] b = new byte[n * 4];
                for (int i = 0; i < n; i++)
                {
                    BitConverter.GetBytes(rng.Next(-1000, 1000)).CopyTo(b, i * 4);
                }

                double inScale = l == 0 ? sIn : sH;
                double m = inScale * sW / sH;
                int shift = 30 - (int)Math.Floor(Math.Log(m, 2));
                long mult = (long)Math.Round(m * Math.Pow(2, shift));
                if (mult >= 1L << 31)
                {
                    mult /= 2;
                    shift--;
                }

                data.Add((name + ".weight", w));
                data.Add((name + ".bias", b));
                header.Append($",\"{name}.weight\":{{\"dtype\":\"I8\",\"shape\":[{n},{k}],\"data_offsets\":[{offset},{offset + w.Length}]}}");
                offset += w.Length;
                header.Append($",\"{name}.bias\":{{\"dtype\":\"I32\",\"shape\":[{n}],\"data_offsets\":[{offset},{offset + b.Length}]}}");
                offset += b.Length;
                inits.Append(inits.Length > 0 ? ",\n" : string.Empty)
                    .Append($"    \"{name}.weight\": {{ \"type\": \"int8\", \"shape\": [{n}, {k}], \"scale\": {D(sW)}, \"zeroPoint\": 0 }},\n")
                    .Append($"    \"{name}.bias\": {{ \"type\": \"int32\", \"shape\": [{n}], \"scale\": {D(inScale * sW)}, \"zeroPoint\": 0 }}");
                acts.Append(acts.Length > 0 ? ",\n" : string.Empty).Append($"    \"{output}\": {{ \"type\": \"int8\", \"scale\": {D(sH)}, \"zeroPoint\": {(output == "y" ? 0 : -128)} }}");
                layers.Append(layers.Length > 0 ? ",\n" : string.Empty)
                    .Append($"    {{ \"name\": \"{name}\", \"op\": \"Dense\", \"inputs\": [\"{prev}\"], \"output\": \"{output}\", \"weight\": \"{name}.weight\", \"bias\": \"{name}.bias\", \"activation\": \"{(output == "y" ? "none" : "relu")}\", \"multipliers\": [{Repeat(mult, n)}], \"shifts\": [{Repeat(shift, n)}], \"clamp\": [-128, 127] }}");
                prev = output;
            }

            header.Append('}');
            while ((header.Length + 8) % 8 != 0)
            {
                header.Append(' ');
            }

            byte[] head = Encoding.UTF8.GetBytes(header.ToString());
            using (var f = new FileStream(path, FileMode.Create))
            {
                f.Write(BitConverter.GetBytes((long)head.Length));
                f.Write(head);
                foreach ((string _, byte[] bytes) in data)
                {
                    f.Write(bytes);
                }
            }

            File.WriteAllText(Path.Combine(dir, "big.qmodel.json"), $$"""
{
  "format": "quantgen",
  "version": 1,
  "name": "big",
  "kind": "quantized",
  "weights": "big.safetensors",
  "inputs": [ { "name": "x", "shape": [64], "range": [0.0, 16.0], "type": "int8", "scale": {{D(sIn)}}, "zeroPoint": -128 } ],
  "outputs": ["y"],
  "initializers": {
{{inits}}
  },
  "activations": {
{{acts}}
  },
  "layers": [
{{layers}}
  ]
}
""");
            return new FileInfo(path).Length;
        }

        private static string Repeat(long v, int n) => string.Join(", ", Enumerable.Repeat(v.ToString(CultureInfo.InvariantCulture), n));

        private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

        private static void WriteProject(string dir, string repo, bool quantgen)
        {
            string refs = quantgen ? $"""
  <ItemGroup>
    <ProjectReference Include="{repo}/runtime/QuantGen.Runtime/QuantGen.Runtime.csproj" />
    <ProjectReference Include="{repo}/generators/QuantGen.Generators/QuantGen.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
    <AdditionalFiles Include="big.qmodel.json;big.safetensors" />
  </ItemGroup>
  <Import Project="{repo}/generators/QuantGen.Generators/build/QuantGen.Generators.targets" />
""" : $"""
  <ItemGroup>
    <ProjectReference Include="{repo}/runtime/QuantGen.Runtime/QuantGen.Runtime.csproj" />
  </ItemGroup>
""";
            File.WriteAllText(Path.Combine(dir, "Scale.csproj"), $"""
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
{refs}</Project>
""");
            File.WriteAllText(Path.Combine(dir, "Program.cs"), quantgen ? """
using System;
using QuantGen;

var y = new sbyte[10];
new Big().Infer(new sbyte[64], y);
Console.WriteLine("ok " + Big.Info.WeightsSha256.Substring(0, 12) + " y0=" + y[0]);

[QuantizedModel("big.qmodel.json")]
public partial class Big { }
""" : """
System.Console.WriteLine("ok (no QuantGen)");
""");
        }

        private static (double Seconds, long PeakKb) Timed(string arguments, string dir)
        {
            string output = Run("/usr/bin/time", "-v dotnet " + arguments, dir);
            double seconds = 0;
            long kb = 0;
            foreach (string line in output.Split('\n'))
            {
                string t = line.Trim();
                if (t.StartsWith("Elapsed (wall clock) time", StringComparison.Ordinal))
                {
                    string v = t.Substring(t.LastIndexOf(": ", StringComparison.Ordinal) + 2);
                    string[] parts = v.Split(':');
                    seconds = parts.Length == 2 ? (int.Parse(parts[0], CultureInfo.InvariantCulture) * 60) + double.Parse(parts[1], CultureInfo.InvariantCulture)
                        : (int.Parse(parts[0], CultureInfo.InvariantCulture) * 3600) + (int.Parse(parts[1], CultureInfo.InvariantCulture) * 60) + double.Parse(parts[2], CultureInfo.InvariantCulture);
                }
                else if (t.StartsWith("Maximum resident set size", StringComparison.Ordinal))
                {
                    kb = long.Parse(t.Substring(t.LastIndexOf(' ') + 1), CultureInfo.InvariantCulture);
                }
            }

            return (seconds, kb);
        }

        private static string Run(string file, string arguments, string dir)
        {
            var psi = new ProcessStartInfo(file, arguments) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            using Process p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            string all = o + err.Result;
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {arguments} failed in {dir}:\n{all}");
            }

            return all;
        }
    }
}
