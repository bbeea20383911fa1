using System.Collections.Generic;
using System.Linq;
using QuantGen.Json;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Model
{
    public class FormatTests
    {
        [Fact]
        public void JsonParserKeepsPathsLinesAndExactNumbers()
        {
            var root = (JsonObject)JsonParser.Parse("{\n  \"a\": [1, {\"b c\": -2.50e1}],\n  \"s\": \"x\\u00e9\\n\"\n}");
            var arr = (JsonArray)root.Get("a")!;
            var inner = (JsonObject)arr.Items[1];
            var num = (JsonNumber)inner.Get("b c")!;
            Assert.Equal("$.a[1][\"b c\"]", num.Path);
            Assert.Equal((2, 20), (num.Line, num.Column));
            Assert.Equal("-2.50e1", num.Text);
            Assert.Equal(-25.0, num.ToDouble());
            Assert.False(num.IsInteger);
            Assert.Equal("x\u00e9\n", ((JsonString)root.Get("s")!).Value);
        }

        [Theory]
        [InlineData("01", 1, 2)]
        [InlineData("[1,]", 1, 4)]
        [InlineData("{\"a\" 1}", 1, 6)]
        [InlineData("\"\\q\"", 1, 2)]
        [InlineData("[1e999]", 1, 7)]
        [InlineData("nul", 1, 1)]
        public void JsonParserRejectsInvalidInputWithPosition(string text, int line, int column)
        {
            JsonParseException e = Assert.Throws<JsonParseException>(() => JsonParser.Parse(text));
            Assert.Equal((line, column), (e.Line, e.Column));
        }

        [Fact]
        public void JsonWriterIsDeterministicAndReadable()
        {
            var w = new JsonWriter();
            w.BeginObject();
            w.Property("name", "a\"b");
            w.Property("shape", new[] { 2, 3 });
            w.Property("scale", 0.1);
            w.Property("whole", 2.0);
            w.Name("inner");
            w.BeginArray();
            w.BeginObject();
            w.Property("x", true);
            w.EndObject();
            w.EndArray();
            w.EndObject();
            Assert.Equal("{\n  \"name\": \"a\\\"b\",\n  \"shape\": [2, 3],\n  \"scale\": 0.1,\n  \"whole\": 2.0,\n  \"inner\": [\n    {\n      \"x\": true\n    }\n  ]\n}\n", w.ToString());
        }

        [Fact]
        public void SafeTensorsRoundTripsWithAlignedHeaderAndMetadata()
        {
            RawTensor a = TensorCodec.EncodeFloats("b.weight", new[] { 2 }, new[] { 1.5f, -2f });
            RawTensor b = TensorCodec.EncodeInts("a.bias", ElementType.Int32, new[] { 1 }, new[] { -7 });
            byte[] file = SafeTensors.Write(new[] { a, b }, new[] { new KeyValuePair<string, string>("k", "v") });
            Assert.Equal(0, (int)(System.BitConverter.ToUInt64(file, 0) % 8));
            var diagnostics = new List<ModelDiagnostic>();
            var metadata = new Dictionary<string, string>();
            List<RawTensor> read = SafeTensors.Read(file, "x.safetensors", diagnostics, metadata)!;
            Assert.Empty(diagnostics);
            Assert.Equal("v", metadata["k"]);
            Assert.Equal(new[] { "a.bias", "b.weight" }, read.Select(t => t.Name));
            Assert.Equal(new[] { 1.5f, -2f }, TensorCodec.DecodeFloats(read[1]));
            Assert.Equal(new[] { -7 }, TensorCodec.DecodeInts(read[0], ElementType.Int32, new[] { 1 }));

            // data offsets are contiguous in name order: a.bias [0, 4), b.weight [4, 12)
            Assert.Equal(8 + (long)System.BitConverter.ToUInt64(file, 0) + 12, file.Length);
        }

        /// <summary>
        /// Non-ASCII tensor names make the header's UTF-8 length differ from its char count; the writer used to wait for both
        /// to be multiples of 8 and never returned for names such as "hé_w" (found by the HLS name tests). Every name of one
        /// to four two-byte letters must now write an 8-byte-aligned header that reads back.
        /// </summary>
        [Theory]
        [InlineData("hé_w")]
        [InlineData("é")]
        [InlineData("éé")]
        [InlineData("ééé")]
        [InlineData("漢字_w")]
        [InlineData("\ud83d\ude00")]
        public async System.Threading.Tasks.Task SafeTensorsWritesNonAsciiNamesAligned(string name)
        {
            RawTensor a = TensorCodec.EncodeFloats(name, new[] { 3 }, new[] { 1f, 2f, 3f });
            var task = System.Threading.Tasks.Task.Run(() => SafeTensors.Write(new[] { a }));
            Assert.True(await System.Threading.Tasks.Task.WhenAny(task, System.Threading.Tasks.Task.Delay(30_000)) == task, "SafeTensors.Write did not return");
            byte[] file = await task;
            Assert.Equal(0, (int)(System.BitConverter.ToUInt64(file, 0) % 8));
            var diagnostics = new List<ModelDiagnostic>();
            List<RawTensor> read = SafeTensors.Read(file, "x.safetensors", diagnostics)!;
            Assert.Empty(diagnostics);
            Assert.Equal(name, read.Single().Name);
            Assert.Equal(new[] { 1f, 2f, 3f }, TensorCodec.DecodeFloats(read[0]));
        }

        [Fact]
        public void Int4PacksTwoPerByteLowNibbleFirstWithPaddedRows()
        {
            // rows [1, -1, 7] and [-8, 0, 3]: row bytes (0xF << 4 | 0x1), 0x07, then (0x0 << 4 | 0x8), 0x03.
            RawTensor t = TensorCodec.EncodeInts("w", ElementType.Int4, new[] { 2, 3 }, new[] { 1, -1, 7, -8, 0, 3 });
            Assert.Equal("U8", t.Dtype);
            Assert.Equal(new long[] { 2, 2 }, t.Shape);
            Assert.Equal(new byte[] { 0xF1, 0x07, 0x08, 0x03 }, t.Data);
            Assert.Equal(new[] { 1, -1, 7, -8, 0, 3 }, TensorCodec.DecodeInts(t, ElementType.Int4, new[] { 2, 3 }));
            Assert.Throws<System.ArgumentOutOfRangeException>(() => TensorCodec.EncodeInts("w", ElementType.Int4, new[] { 1 }, new[] { 8 }));
        }

        [Fact]
        public void ParserCollectsEveryErrorInOnePass()
        {
            const string spec = "{\"format\": \"quantgen\", \"version\": 1, \"name\": \"9bad\", \"kind\": \"int\", \"weights\": \"w\", \"inputs\": [], \"outputs\": [\"y\"], \"initializers\": {}, \"layers\": [{\"name\": \"a\", \"op\": \"Nope\"}], \"extra\": 1}";
            var diagnostics = new List<ModelDiagnostic>();
            Assert.Null(SpecParser.Parse(spec, "m.json", diagnostics));
            Assert.Equal(
                new[] { "QG1020", "QG1005", "QG1005", "QG1021", "QG1006" },
                diagnostics.Select(d => d.Id));
        }
    }
}
