package dev.attest.reports;

import dev.attest.reports.model.PropertyResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * One JUnit XML file from the workers' files (one {@code <testsuite>} each, as JUnit's legacy reporter writes them),
 * under a {@code <testsuites>} root, plus a suite of the workers that ended early: a CI that reads only the XML sees
 * those failures too, not just the properties that happened to finish.
 */
final class JunitXml {
    private JunitXml() {
    }

    static String merge(List<Path> files, List<PropertyResult> workerFailures) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            DocumentBuilder builder = factory.newDocumentBuilder();
            Document out = builder.newDocument();
            Element root = out.createElement("testsuites");
            out.appendChild(root);
            for (Path file : files) {
                Element suite = builder.parse(file.toFile()).getDocumentElement();
                root.appendChild(out.importNode(suite, true));
            }
            if (!workerFailures.isEmpty()) {
                Element suite = out.createElement("testsuite");
                suite.setAttribute("name", "attest workers");
                suite.setAttribute("tests", Integer.toString(workerFailures.size()));
                suite.setAttribute("failures", Integer.toString(workerFailures.size()));
                suite.setAttribute("errors", "0");
                suite.setAttribute("skipped", "0");
                for (PropertyResult r : workerFailures) {
                    Element test = out.createElement("testcase");
                    test.setAttribute("name", r.property());
                    test.setAttribute("classname", r.backend());
                    Element failure = out.createElement("failure");
                    String firstLine = r.message() == null ? "failed" : r.message().lines().findFirst().orElse("failed");
                    failure.setAttribute("message", firstLine);
                    failure.setTextContent(r.message());
                    test.appendChild(failure);
                    suite.appendChild(test);
                }
                root.appendChild(suite);
            }
            var transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.INDENT, "no");
            StringWriter text = new StringWriter();
            transformer.transform(new DOMSource((Node) out), new StreamResult(text));
            return text + "\n";
        } catch (Exception e) {
            throw new RunFailure("cannot merge the workers' JUnit XML: " + e.getMessage(), e);
        }
    }
}
