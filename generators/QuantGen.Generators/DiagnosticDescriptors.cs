using Microsoft.CodeAnalysis;

namespace QuantGen.Generators
{
    /// <summary>
    /// The generator's diagnostics (QG2xxx) plus one descriptor per model-file id (QG1xxx) so problems in the spec
    /// or weights appear as compiler errors at the file and line. Catalogue: docs/diagnostics.md.
    /// </summary>
    public static class DiagnosticDescriptors
    {
        private const string Category = "QuantGen";

        /// <summary>docs/diagnostics.md has an anchor per id (a heading or an &lt;a id&gt; in the table row).</summary>
        public const string HelpLinkBase = "https://github.com/quantgen/quantgen/blob/main/docs/diagnostics.md#";

        public static string HelpLinkFor(string id) => HelpLinkBase + id.ToLowerInvariant();

        public static readonly DiagnosticDescriptor ModelFileNotFound = new DiagnosticDescriptor(
            "QG2001", "Model file not found", "No AdditionalFiles item matches the model path \"{0}\"; add it to the project as <AdditionalFiles Include=\"{0}\" />",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2001"));

        public static readonly DiagnosticDescriptor WeightsNotFound = new DiagnosticDescriptor(
            "QG2002", "Weights file not available to the generator", "The model names weights \"{0}\" but no encoded copy of {1} reached the generator; the likely cause is that {1} is not an AdditionalFiles item: add <AdditionalFiles Include=\"path/to/{0}\" /> next to the model file (the QuantGen.Runtime package's build targets, imported automatically, hand every listed .safetensors file to the compiler)",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2002"));

        public static readonly DiagnosticDescriptor NotPartial = new DiagnosticDescriptor(
            "QG2003", "Class must be partial", "Class \"{0}\" has [QuantizedModel] but is not partial; declare it 'partial class {0}' so the generated members can be added",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2003"));

        public static readonly DiagnosticDescriptor GenericNotSupported = new DiagnosticDescriptor(
            "QG2004", "Generic model classes are not supported", "Class \"{0}\" is generic; a [QuantizedModel] class cannot have type parameters (its code depends on one concrete model)",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2004"));

        public static readonly DiagnosticDescriptor ContainingTypeNotPartial = new DiagnosticDescriptor(
            "QG2005", "Containing type must be partial", "Class \"{0}\" is nested in \"{1}\", which is not partial; make every containing type partial",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2005"));

        public static readonly DiagnosticDescriptor OverrideContradicts = new DiagnosticDescriptor(
            "QG2006", "Layer override contradicts the model file", "[LayerOverride(\"{0}\")] expects {1} but the model file has {2}; re-quantize the model or change the override",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2006"));

        public static readonly DiagnosticDescriptor UnknownLayer = new DiagnosticDescriptor(
            "QG2007", "Override names an unknown layer", "[LayerOverride(\"{0}\")] names no layer of model \"{1}\"; its layers are {2}",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2007"));

        public static readonly DiagnosticDescriptor BitWidthOutOfRange = new DiagnosticDescriptor(
            "QG2008", "Bit width out of range", "{0} = {1} is outside the supported range {2}",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2008"));

        public static readonly DiagnosticDescriptor InvalidAttributeArgument = new DiagnosticDescriptor(
            "QG2009", "Invalid attribute argument", "{0}",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2009"));

        public static readonly DiagnosticDescriptor NotQuantized = new DiagnosticDescriptor(
            "QG2010", "Model is not quantized", "Model \"{0}\" is a float model; quantize it first (PostTrainingQuantizer or the quantize command) and point [QuantizedModel] at the .qmodel.json it writes",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2010"));

        // QG2011 (operator not supported by the code generator) is retired: since Conv2d and MaxPool2d the C# and GPU
        // generators emit every operator of the model format. The id is not reused (docs/diagnostics.md).

        public static readonly DiagnosticDescriptor NoLowering = new DiagnosticDescriptor(
            "QG2012", "Operator has no lowering for a backend", "Layer \"{0}\" ({1}) has no {2} lowering in this version of QuantGen; remove the layer, replace it with supported operators, or drop the {2} backend",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2012"));

        public static readonly DiagnosticDescriptor WeightsTooLarge = new DiagnosticDescriptor(
            "QG2014", "Weights cannot be compiled", "Model class \"{0}\" needs {1} bytes of weights that are not stored as they are in the .safetensors file (lookup tables, repacked convolution weights); the limit for such data is {2} bytes",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2014"));

        public static readonly DiagnosticDescriptor RecordNotSupported = new DiagnosticDescriptor(
            "QG2015", "Records are not supported", "\"{0}\" is a record; [QuantizedModel] needs a 'partial class' (a generated model holds mutable scratch buffers, which record equality and 'with' would copy or compare)",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2015"));

        public static readonly DiagnosticDescriptor LanguageVersionTooLow = new DiagnosticDescriptor(
            "QG2016", "C# 11 or later required", "The generated code for \"{0}\" needs C# 11 or later (this project compiles C# {1}); set <LangVersion>11</LangVersion> or later, or target net7.0+",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2016"));

        public static readonly DiagnosticDescriptor InternalError = new DiagnosticDescriptor(
            "QG2099", "Generator failure", "QuantGen could not generate code for \"{0}\": {1}; please report this with the model file",
            Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor("QG2099"));

        /// <summary>A descriptor for a model-file id (QG1001..QG1021), message passed through.</summary>
        public static DiagnosticDescriptor ForModelError(string id) => new DiagnosticDescriptor(
            id, "Model file error", "{0}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLinkFor(id));
    }
}
